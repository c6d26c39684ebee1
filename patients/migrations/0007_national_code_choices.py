# Stored values are national codes from here (issue 17, decision 022): the choices,
# and the database holds the referral source to the national list.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0006_national_codes_data'),
    ]

    operations = [
        migrations.AlterField(
            model_name='patient',
            name='gender_identity',
            field=models.CharField(blank=True, choices=[('1', 'Male (including trans man)'), ('2', 'Female (including trans woman)'), ('3', 'Non-binary'), ('4', 'Other (not listed)'), ('X', 'Not known'), ('Z', 'Not stated (asked but no answer given)')], max_length=1),
        ),
        migrations.AlterField(
            model_name='referral',
            name='source',
            field=models.CharField(choices=[('A1', 'A1 GP'), ('A2', 'A2 Health visitor'), ('A3', 'A3 Other primary health care'), ('A4', 'A4 Maternity service'), ('B1', 'B1 Self-referral'), ('B2', 'B2 Carer or relative'), ('C1', 'C1 Social services'), ('C2', 'C2 Education service'), ('C3', 'C3 Housing service'), ('D1', 'D1 Employer'), ('D2', 'D2 Occupational health'), ('E1', 'E1 Justice system: police'), ('E2', 'E2 Justice system: courts'), ('E3', 'E3 Justice system: probation'), ('E4', 'E4 Justice system: prison'), ('E5', 'E5 Justice system: court liaison and diversion'), ('E6', 'E6 Justice system: youth offending team'), ('F1', 'F1 Child health: school nurse'), ('F2', 'F2 Child health: hospital-based paediatrics'), ('F3', 'F3 Child health: community-based paediatrics'), ('G1', 'G1 Independent sector: medium secure inpatients'), ('G2', 'G2 Independent sector: low secure inpatients'), ('G3', 'G3 Other independent sector mental health services'), ('G4', 'G4 Voluntary sector'), ('H1', 'H1 Emergency department'), ('H2', 'H2 Other secondary care specialty'), ('I1', 'I1 Temporary transfer from another mental health trust'), ('I2', 'I2 Permanent transfer from another mental health trust'), ('M1', 'M1 Asylum services'), ('M2', 'M2 Telephone or electronic access service'), ('M3', 'M3 Out of area agency'), ('M4', 'M4 Drug action team or drug misuse agency'), ('M5', 'M5 Jobcentre Plus'), ('M6', 'M6 Other service or agency'), ('M7', 'M7 Single point of access service'), ('M8', 'M8 Debt agency'), ('N1', 'N1 Stepped up from low intensity NHS Talking Therapies'), ('N2', 'N2 Stepped down from high intensity NHS Talking Therapies'), ('N4', 'N4 Other NHS Talking Therapies service'), ('P1', 'P1 Internal referral'), ('Q1', 'Q1 Drop-in service')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(('source__in', ['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'C1', 'C2', 'C3', 'D1', 'D2', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'F1', 'F2', 'F3', 'G1', 'G2', 'G3', 'G4', 'H1', 'H2', 'I1', 'I2', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7', 'M8', 'N1', 'N2', 'N4', 'P1', 'Q1'])), name='referral_source_national_code'),
        ),
    ]
