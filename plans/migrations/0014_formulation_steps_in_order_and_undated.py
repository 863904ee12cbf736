"""策定経過 gets an order of its own and may be undated; 計画期間 is typed as fiscal years.

Existing steps are numbered in the order residents read them until now: by date, then by the
order they were entered (id). Their history rows take the number their step has now.
"""

from django.db import migrations, models


def number_steps_in_date_order(apps, schema_editor):
    FormulationStep = apps.get_model("plans", "FormulationStep")
    HistoricalFormulationStep = apps.get_model("plans", "HistoricalFormulationStep")
    numbers, plan_id, position = {}, None, 0
    for step in FormulationStep.objects.order_by("plan_id", "date", "pk"):
        position = position + 1 if step.plan_id == plan_id else 1
        plan_id = step.plan_id
        numbers[step.pk] = position
    for pk, number in numbers.items():
        FormulationStep.objects.filter(pk=pk).update(order=number)
        HistoricalFormulationStep.objects.filter(id=pk).update(order=number)


DATE_HELP = (
    "資料に日がなければ「令和5年12月」、月もなければ「令和5年度」と入力します。"
    "日付の記載がなければ空欄にします（ページには日付なしで表示されます）。"
)
ORDER_HELP = "資料に並んでいる順に1、2、3…と入力します。"
START_HELP = "「令和6年度」と入力するとその年度の4月1日です。年度途中の開始は「令和3年12月」や「2021年12月1日」と入力します。"
END_HELP = "「令和8年度」と入力するとその年度の末日（令和9年3月31日）です。「令和8年3月」ならその月の末日です。"


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0013_municipality_city_wards"),
    ]

    operations = [
        migrations.AddField(
            model_name="formulationstep",
            name="order",
            field=models.PositiveSmallIntegerField(default=0, help_text=ORDER_HELP, verbose_name="順番"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalformulationstep",
            name="order",
            field=models.PositiveSmallIntegerField(default=0, help_text=ORDER_HELP, verbose_name="順番"),
            preserve_default=False,
        ),
        migrations.RunPython(number_steps_in_date_order, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="formulationstep",
            name="date",
            field=models.DateField(blank=True, help_text=DATE_HELP, null=True, verbose_name="日付"),
        ),
        migrations.AlterField(
            model_name="historicalformulationstep",
            name="date",
            field=models.DateField(blank=True, help_text=DATE_HELP, null=True, verbose_name="日付"),
        ),
        migrations.AlterModelOptions(
            name="formulationstep",
            options={
                "ordering": ["plan", "order", "pk"],
                "permissions": [
                    ("import_formulationstep", "策定経過をファイルから取り込める"),
                    ("export_formulationstep", "策定経過をファイルに書き出せる"),
                ],
                "verbose_name": "策定経過",
                "verbose_name_plural": "策定経過",
            },
        ),
        migrations.AddConstraint(
            model_name="formulationstep",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_date__isnull", True), ("date__isnull", False), _connector="OR"),
                name="formulation_step_end_has_start",
            ),
        ),
        migrations.AlterField(
            model_name="plan",
            name="period_start",
            field=models.DateField(help_text=START_HELP, verbose_name="計画期間（開始）"),
        ),
        migrations.AlterField(
            model_name="historicalplan",
            name="period_start",
            field=models.DateField(help_text=START_HELP, verbose_name="計画期間（開始）"),
        ),
        migrations.AlterField(
            model_name="plan",
            name="period_end",
            field=models.DateField(help_text=END_HELP, verbose_name="計画期間（終了）"),
        ),
        migrations.AlterField(
            model_name="historicalplan",
            name="period_end",
            field=models.DateField(help_text=END_HELP, verbose_name="計画期間（終了）"),
        ),
    ]
