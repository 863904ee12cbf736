"""No default is published as a fact: a member's 役職 and a meeting's 開催状況 stay blank unless staff fill them.

Only the defaults of new rows change. Existing rows keep what is stored (「委員」, 「開催予定」): no record
tells a value a user chose from one the old default filled in, so none is blanked here.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('councils', '0005_agenda_items_traced_to_what_they_reviewed'),
    ]

    operations = [
        migrations.AlterField(
            model_name='councilmember',
            name='role',
            field=models.CharField(blank=True, choices=[('chair', '会長'), ('vice_chair', '副会長'), ('member', '委員'), ('observer', 'オブザーバー'), ('secretariat', '事務局')], help_text='資料に役職（会長・副会長・委員など）が書かれていれば選びます。書かれていなければ空欄にします。', max_length=20, verbose_name='役職'),
        ),
        migrations.AlterField(
            model_name='historicalcouncilmember',
            name='role',
            field=models.CharField(blank=True, choices=[('chair', '会長'), ('vice_chair', '副会長'), ('member', '委員'), ('observer', 'オブザーバー'), ('secretariat', '事務局')], help_text='資料に役職（会長・副会長・委員など）が書かれていれば選びます。書かれていなければ空欄にします。', max_length=20, verbose_name='役職'),
        ),
        migrations.AlterField(
            model_name='historicalmeeting',
            name='status',
            field=models.CharField(blank=True, choices=[('scheduled', '開催予定'), ('held', '開催済み'), ('cancelled', '中止')], help_text='開催予定・開催済み・中止のどれかを選びます。資料から分からなければ空欄にします。', max_length=20, verbose_name='開催状況'),
        ),
        migrations.AlterField(
            model_name='meeting',
            name='status',
            field=models.CharField(blank=True, choices=[('scheduled', '開催予定'), ('held', '開催済み'), ('cancelled', '中止')], help_text='開催予定・開催済み・中止のどれかを選びます。資料から分からなければ空欄にします。', max_length=20, verbose_name='開催状況'),
        ),
    ]
