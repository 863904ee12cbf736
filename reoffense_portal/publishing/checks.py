"""`check --deploy`: what still differs between one server process and several."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_for_several_processes(app_configs, **kwargs):
    """Pages are coherent across processes by construction (the database decides what is live); the page
    survey's rate limit is not: each process of a per-process cache counts on its own."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [Warning(
            "キャッシュがプロセスごとです。複数のサーバープロセスで動かすと、ページ評価の送信回数制限がプロセスごとに"
            "数えられます（公開ページの内容はプロセスによらず常に最新です）。",
            hint="REDIS_URL を設定して、プロセス間で共有するキャッシュを使ってください。",
            id="portal.W001",
        )]
    return []
