"""No default is published as a fact: 集計期間, 望ましい方向 and 根拠法令 stay blank unless staff fill them.

Only the defaults of new rows change. Existing rows keep what is stored (集計期間 「暦年」, 根拠法令): no
record tells a value a user chose from one the old default filled in, so none is blanked here.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0014_formulation_steps_in_order_and_undated'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='indicator',
            name='indicator_target_has_direction',
        ),
        migrations.AlterField(
            model_name='historicalindicator',
            name='direction',
            field=models.CharField(blank=True, choices=[('lower', '少ないほど良い'), ('higher', '多いほど良い')], help_text='目標値に「以下」「以上」を付けて表示します。資料の目標が「450人以下」のように書いていれば選び、「100%」のように方向を書いていなければ空欄にします（達成率は基準値から目標値への向きで計算します）。', max_length=10, verbose_name='望ましい方向'),
        ),
        migrations.AlterField(
            model_name='historicalindicator',
            name='period_kind',
            field=models.CharField(blank=True, choices=[('calendar', '暦年'), ('fiscal', '年度'), ('average', '複数年平均')], help_text='出典が暦年・年度・複数年平均のどれかを示していれば選びます。示していなければ空欄にします（年は「令和4」のように年・年度を付けずに表示します）。', max_length=10, verbose_name='集計期間'),
        ),
        migrations.AlterField(
            model_name='historicalplan',
            name='legal_basis',
            field=models.CharField(blank=True, help_text='計画が根拠として示す法令（例：再犯の防止等の推進に関する法律第8条第1項）。記載がなければ空欄にします。', max_length=200, verbose_name='根拠法令'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='direction',
            field=models.CharField(blank=True, choices=[('lower', '少ないほど良い'), ('higher', '多いほど良い')], help_text='目標値に「以下」「以上」を付けて表示します。資料の目標が「450人以下」のように書いていれば選び、「100%」のように方向を書いていなければ空欄にします（達成率は基準値から目標値への向きで計算します）。', max_length=10, verbose_name='望ましい方向'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='period_kind',
            field=models.CharField(blank=True, choices=[('calendar', '暦年'), ('fiscal', '年度'), ('average', '複数年平均')], help_text='出典が暦年・年度・複数年平均のどれかを示していれば選びます。示していなければ空欄にします（年は「令和4」のように年・年度を付けずに表示します）。', max_length=10, verbose_name='集計期間'),
        ),
        migrations.AlterField(
            model_name='plan',
            name='legal_basis',
            field=models.CharField(blank=True, help_text='計画が根拠として示す法令（例：再犯の防止等の推進に関する法律第8条第1項）。記載がなければ空欄にします。', max_length=200, verbose_name='根拠法令'),
        ),
    ]
