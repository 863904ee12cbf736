"""Programmes belong to an area, and to a measure only where the plan has that level.

Every programme takes its measure's area. A measure without a title was how a
plan without measure headings had to be entered (its number alone, 「（2）」,
was all a reader saw): its programmes now belong to the area directly, after
the area's other direct programmes, and the measure goes. One with a
description, or whose programme names the area already holds directly, is
kept, titled 「施策名未入力」 for staff to complete.
"""

import django.db.models.deletion
from django.db import migrations, models


UNTITLED = "施策名未入力"


def programs_take_their_areas(apps, schema_editor):
    Measure = apps.get_model("measures", "Measure")
    Program = apps.get_model("measures", "Program")
    HistoricalProgram = apps.get_model("measures", "HistoricalProgram")
    area_of = dict(Measure.objects.values_list("pk", "area_id"))
    for program in Program.objects.all():
        program.area_id = area_of[program.measure_id]
        program.save(update_fields=["area"])
    for record in HistoricalProgram.objects.filter(measure_id__in=area_of):
        record.area_id = area_of[record.measure_id]
        record.save(update_fields=["area"])

    for measure in Measure.objects.filter(title="").order_by("area_id", "number"):
        programs = list(Program.objects.filter(measure=measure).order_by("order", "pk"))
        direct = Program.objects.filter(area_id=measure.area_id, measure__isnull=True)
        taken = set(direct.values_list("name", flat=True))
        if measure.description or any(program.name in taken for program in programs):
            measure.title = UNTITLED
            measure.save(update_fields=["title"])
            continue
        order = max(direct.values_list("order", flat=True), default=0)
        for order, program in enumerate(programs, start=order + 1):
            program.measure = None
            program.order = order
            program.save(update_fields=["measure", "order"])
        measure.delete()


def programs_back_to_measures(apps, schema_editor):
    """Direct programmes go under a measure titled 「施策名未入力」 of their area, as before this migration."""
    Measure = apps.get_model("measures", "Measure")
    Program = apps.get_model("measures", "Program")
    for area_id in Program.objects.filter(measure__isnull=True).values_list("area_id", flat=True).distinct():
        number = max(Measure.objects.filter(area_id=area_id).values_list("number", flat=True), default=0) + 1
        measure = Measure.objects.create(area_id=area_id, number=number, title="")
        Program.objects.filter(area_id=area_id, measure__isnull=True).update(measure=measure)


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0005_trigram_search_indexes'),
        ('plans', '0011_list_indexes'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='program',
            options={'ordering': ['area', 'measure__number', 'order', 'pk'], 'permissions': [('import_program', '取組・事業（計画の構成）をファイルから取り込める'), ('export_program', '取組・事業（計画の構成）をファイルに書き出せる')], 'verbose_name': '取組・事業', 'verbose_name_plural': '取組・事業'},
        ),
        migrations.AddField(
            model_name='historicalprogram',
            name='area',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='施策を選べば空欄でかまいません（その施策の重点施策になります）。', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='measures.priorityarea', verbose_name='重点施策'),
        ),
        migrations.AddField(
            model_name='program',
            name='area',
            field=models.ForeignKey(blank=True, help_text='施策を選べば空欄でかまいません（その施策の重点施策になります）。', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='programs', to='measures.priorityarea', verbose_name='重点施策'),
        ),
        migrations.AlterField(
            model_name='historicalmeasure',
            name='title',
            field=models.CharField(help_text='資料に施策の見出しがなく取組だけが載っている場合は、施策を作らず、取組・事業を重点施策に直接登録します。', max_length=200, verbose_name='施策名'),
        ),
        migrations.AlterField(
            model_name='historicalprogram',
            name='measure',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='計画に施策（（1）（2）…）の段階がない場合は空欄にします。', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='measures.measure', verbose_name='施策'),
        ),
        migrations.AlterField(
            model_name='measure',
            name='title',
            field=models.CharField(help_text='資料に施策の見出しがなく取組だけが載っている場合は、施策を作らず、取組・事業を重点施策に直接登録します。', max_length=200, verbose_name='施策名'),
        ),
        migrations.AlterField(
            model_name='program',
            name='measure',
            field=models.ForeignKey(blank=True, help_text='計画に施策（（1）（2）…）の段階がない場合は空欄にします。', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='programs', to='measures.measure', verbose_name='施策'),
        ),
        migrations.RunPython(programs_take_their_areas, programs_back_to_measures),
        migrations.AlterField(
            model_name='program',
            name='area',
            field=models.ForeignKey(blank=True, help_text='施策を選べば空欄でかまいません（その施策の重点施策になります）。', on_delete=django.db.models.deletion.CASCADE, related_name='programs', to='measures.priorityarea', verbose_name='重点施策'),
        ),
        migrations.AddConstraint(
            model_name='program',
            constraint=models.UniqueConstraint(condition=models.Q(('measure__isnull', True)), fields=('area', 'name'), name='unique_direct_program_name', violation_error_message='この重点施策には同じ事業名の取組・事業（施策なし）がすでにあります。'),
        ),
        # The change list's order starts with the area now (ProgramAdmin.ordering).
        migrations.RemoveIndex(model_name='program', name='program_list_order_idx'),
        migrations.AddIndex(
            model_name='program',
            index=models.Index(fields=['area', 'measure', 'order', 'id'], name='program_list_order_idx'),
        ),
    ]
