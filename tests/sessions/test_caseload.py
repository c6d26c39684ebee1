"""My caseload (supervision/caseload.py `caseload_for_user`): one SQL statement of
LATERAL joins, held here to the ORM statement of correlated subqueries it
replaced (the oracle below) for every sort and filter, on a varied synthetic
year; and the page's paging, "show all", counts, audit and bad input."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role, User
from bench import synthetic
from patients.models import Referral
from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES
from sessions.models import MeasureScore, RiskAssessment, TherapySession
from supervision import caseload as selectors
from supervision.caseload import CASELOAD_PAGE_SIZE, CASELOAD_SORTS, RISK_MARKER_LEVELS, caseload_for_user
from supervision.models import Flag
from supervision.sweep import sweep
from tests.factories import ReferralFactory, UserFactory

from .test_views import add_sessions

HEAVY = "syn-1-pwp-0"

# -- the oracle: the ORM statement the SQL replaced (its figures, filters and sorts) --------


def _score(instrument, *, latest, field="total"):
    order = "-taken_at" if latest else "taken_at"
    return Subquery(
        MeasureScore.objects.filter(referral=OuterRef("pk"), instrument=instrument, complete=True)
        .order_by(order, "-id" if latest else "id")
        .values(field)[:1]
    )


def _count(qs):
    return Coalesce(
        Subquery(qs.order_by().values("referral").annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()),
        Value(0),
    )


ORACLE_SORTS = {
    "patient": ("patient__family_name", "patient__given_name"),
    "step": ("current_step", "patient__family_name"),
    "problem": ("problem_descriptor", "patient__family_name"),
    "sessions": ("-sessions_count", "patient__family_name"),
    "last_contact": (F("last_contact_on").asc(nulls_first=True), "patient__family_name"),
    "phq9": (F("phq9_last").desc(nulls_last=True), "patient__family_name"),
    "gad7": (F("gad7_last").desc(nulls_last=True), "patient__family_name"),
    "review": (F("review_anchor").asc(nulls_first=True), "patient__family_name"),
    "risk": ("-risk_marker", F("review_anchor").asc(nulls_first=True)),
}


def oracle(user, filters=None, sort="risk"):
    filters = filters or {}
    sessions = TherapySession.objects.filter(referral=OuterRef("pk"), attendance__in=ATTENDED)
    qs = Referral.objects.for_caseload(user).annotate(
        sessions_count=_count(sessions),
        treatment_count=_count(sessions.filter(appointment_type__in=TREATMENT_APPOINTMENT_TYPES)),
        phq9_first=_score("PHQ9", latest=False),
        phq9_last=_score("PHQ9", latest=True),
        phq9_band=_score("PHQ9", latest=True, field="band"),
        gad7_first=_score("GAD7", latest=False),
        gad7_last=_score("GAD7", latest=True),
        gad7_band=_score("GAD7", latest=True, field="band"),
        latest_risk_level=Subquery(
            RiskAssessment.objects.filter(referral=OuterRef("pk")).order_by("-recorded_at", "-id").values("level")[:1]
        ),
        latest_item9=Subquery(
            MeasureScore.objects.filter(referral=OuterRef("pk"), instrument="PHQ9")
            .order_by("-taken_at", "-id")
            .annotate(item9=F("items__8"))
            .values("item9")[:1],
            output_field=IntegerField(),
        ),
        review_anchor=Coalesce("last_reviewed_at", "opened_at", output_field=DateTimeField()),
        open_flags=_count(Flag.objects.filter(referral=OuterRef("pk"), resolved_at__isnull=True)),
    )
    # Two-valued, as the new statement's: the ORM's `Q | Q` was NULL (not false)
    # for a case with no risk recorded and no PHQ-9, which sorted such cases
    # after those with a low risk recorded instead of by their review date.
    qs = qs.annotate(
        risk_marker=Case(
            When(Q(latest_risk_level__in=RISK_MARKER_LEVELS) | Q(latest_item9__gt=0), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if filters.get("step"):
        qs = qs.filter(current_step=filters["step"])
    if filters.get("problem_descriptor"):
        qs = qs.filter(problem_descriptor=filters["problem_descriptor"])
    if filters.get("risk_only"):
        qs = qs.filter(risk_marker=True)
    if filters.get("overdue_only"):
        qs = qs.filter(review_anchor__lt=timezone.now() - timedelta(days=28))
    return list(qs.order_by(*ORACLE_SORTS[sort], "pk"))


FIGURES = (
    "sessions_count",
    "treatment_count",
    "phq9_first",
    "phq9_last",
    "phq9_band",
    "gad7_first",
    "gad7_last",
    "gad7_band",
    "latest_risk_level",
    "review_anchor",
    "open_flags",
    "risk_marker",
)


def figures(row):
    values = tuple(getattr(row, name) for name in FIGURES)
    # PHQ-9 and GAD-7 totals are whole numbers: the page shows them as ints.
    return tuple(int(v) if name.endswith(("_first", "_last")) and v is not None else v
                 for name, v in zip(FIGURES, values, strict=True))  # fmt: skip


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker):
    """A synthetic year with a heavy caseload of 120 open cases, flags raised by
    a full sweep; built once for the module and removed after it."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        try:
            synthetic.generate(referrals=2000, seed=7, heavy_caseload=120)
            sweep(full=True)
            # The generator allocates every heavy case at step 2; vary the step and
            # the problem so that those sorts and filters order something.
            with connection.cursor() as cursor:
                cursor.execute(
                    """UPDATE patients_referral r
                       SET current_step = (ARRAY[NULL, 2, 3])[1 + abs(hashtext(r.id::text)) %% 3],
                           problem_descriptor =
                               (ARRAY['F32', 'F411', 'F410', ''])[1 + abs(hashtext(r.id::text || 'p')) %% 4]
                       FROM accounts_user u WHERE u.id = r.assigned_practitioner_id AND u.username = %s""",
                    [HEAVY],
                )
                # Some cases with no measures at all (NULLs to sort), and some whose
                # latest PHQ-9 is incomplete but answers item 9 (the scores come
                # from the last complete one, the risk marker from the latest).
                heavy_cases = """SELECT r.id FROM patients_referral r JOIN accounts_user u
                                 ON u.id = r.assigned_practitioner_id AND u.username = %(heavy)s
                                 WHERE abs(hashtext(r.id::text || 'm')) %% 12 = %(slice)s"""
                cursor.execute(
                    f"DELETE FROM therapy_sessions_measurescore WHERE referral_id IN ({heavy_cases})",  # noqa: S608
                    {"heavy": HEAVY, "slice": 0},
                )
                cursor.execute(
                    f"""UPDATE therapy_sessions_measurescore m
                        SET complete = false, total = NULL, band = '', caseness = NULL, items[1] = NULL, items[9] = 1
                        WHERE m.id IN (SELECT DISTINCT ON (referral_id) id FROM therapy_sessions_measurescore
                                       WHERE instrument = 'PHQ9' AND referral_id IN ({heavy_cases})
                                       ORDER BY referral_id, taken_at DESC, id DESC)""",  # noqa: S608
                    {"heavy": HEAVY, "slice": 1},
                )
            yield User.objects.get(username=HEAVY)
        finally:
            call_command("flush", verbosity=0, interactive=False)


@pytest.fixture
def heavy(year, db):
    return year


def test_the_synthetic_caseload_is_varied_enough_to_test_the_sorts(heavy):
    rows = oracle(heavy)
    assert len(rows) == 120
    # every figure the sorts use takes several values, NULL included where it can be
    for name in (
        "sessions_count",
        "phq9_last",
        "gad7_last",
        "review_anchor",
        "current_step",
        "problem_descriptor",
        "last_contact_on",
    ):
        assert len({getattr(r, name) for r in rows}) > 2, name
    assert any(r.current_step is None for r in rows)
    assert any(r.risk_marker for r in rows) and not all(r.risk_marker for r in rows)
    assert any(r.open_flags for r in rows)
    assert any(r.phq9_last is None for r in rows) and any(r.gad7_last is None for r in rows)
    # a latest PHQ-9 that is incomplete: scores from the complete one before it, marker from its item 9
    incomplete = [r for r in rows if r.latest_item9 == 1 and r.phq9_last is not None]
    assert incomplete and all(r.risk_marker for r in incomplete)


@pytest.mark.parametrize("sort", sorted(CASELOAD_SORTS))
def test_every_sort_orders_and_figures_as_the_orm_statement_did(heavy, sort):
    # given the ORM statement's order and figures
    expected = oracle(heavy, sort=sort)
    # when the page reads every case in that sort
    page = caseload_for_user(user=heavy, sort=sort, page_size=None)
    # then the same cases in the same order with the same figures
    assert [r.pk for r in page.rows] == [r.pk for r in expected]
    assert [figures(r) for r in page.rows] == [figures(r) for r in expected]
    assert page.total == 120 and page.risk_count == sum(r.risk_marker for r in expected)


@pytest.mark.parametrize(
    "filters",
    [
        {"step": 2},
        {"step": 3},
        {"problem_descriptor": "F32"},
        {"risk_only": True},
        {"overdue_only": True},
        {"risk_only": True, "step": 2},
    ],
    ids=lambda f: "+".join(f),
)
def test_every_filter_keeps_the_cases_the_orm_statement_kept(heavy, filters):
    expected = oracle(heavy, filters, sort="review")
    page = caseload_for_user(user=heavy, filters=filters, sort="review", page_size=None)
    assert expected, "the filter keeps some cases"
    assert [r.pk for r in page.rows] == [r.pk for r in expected]
    assert page.total == len(expected)


@pytest.mark.parametrize("sort", ["risk", "patient", "phq9"])
def test_pages_cut_the_sorted_caseload_without_overlap_or_gap(heavy, sort):
    every = [r.pk for r in caseload_for_user(user=heavy, sort=sort, page_size=None).rows]
    pages = [caseload_for_user(user=heavy, sort=sort, page=n) for n in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [CASELOAD_PAGE_SIZE, CASELOAD_PAGE_SIZE, 120 - 2 * CASELOAD_PAGE_SIZE]
    assert [r.pk for p in pages for r in p.rows] == every
    assert all(p.total == 120 and p.pages == 3 for p in pages)
    assert (pages[1].first, pages[1].last) == (51, 100)


def test_risk_first_puts_every_risk_case_before_the_others(heavy):
    rows = caseload_for_user(user=heavy, page_size=None).rows
    markers = [r.risk_marker for r in rows]
    assert markers == sorted(markers, reverse=True)


def test_the_page_shows_50_the_full_count_and_all_on_request(heavy, client, django_assert_max_num_queries):
    client.force_login(heavy)
    # session, user, the caseload (one statement), the audit insert, the next
    # appointments (the appointments app's hook, one statement): as for any size
    with django_assert_max_num_queries(5):
        response = client.get(reverse("sessions:caseload"))
    assert len(response.context["rows"]) == CASELOAD_PAGE_SIZE
    assert response.context["open_cases"] == 120
    content = response.content.decode()
    assert "120 open cases" in content and "Cases 1 to 50 of 120" in content and "Show all 120" in content
    assert content.count("<tr>") == CASELOAD_PAGE_SIZE + 1  # the header row and 50 cases
    with django_assert_max_num_queries(5):
        response = client.get(reverse("sessions:caseload"), {"all": "1", "sort": "patient"})
    assert len(response.context["rows"]) == 120
    assert "All 120 cases" in response.content.decode()


def test_the_audit_lists_the_patients_on_the_page_shown(heavy, client):
    client.force_login(heavy)
    response = client.get(reverse("sessions:caseload"), {"page": "2", "sort": "patient"})
    entry = AccessLog.objects.filter(user=heavy, action="list", object_type="caseload").latest("at")
    shown = [str(r.patient_id) for r in response.context["rows"]]
    assert entry.detail == {"patient_ids": shown, "count": CASELOAD_PAGE_SIZE}
    expected = oracle(heavy, sort="patient")[CASELOAD_PAGE_SIZE : 2 * CASELOAD_PAGE_SIZE]
    assert shown == [str(r.patient_id) for r in expected]


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99999", "1e9", "", "2.5"])
def test_a_bad_or_stale_page_number_shows_a_page_not_an_error(heavy, client, page):
    client.force_login(heavy)
    response = client.get(reverse("sessions:caseload"), {"page": page})
    assert response.status_code == 200
    assert len(response.context["rows"]) == CASELOAD_PAGE_SIZE
    assert response.context["page"].page == 1


def test_the_row_links_open_the_record(heavy, client):
    client.force_login(heavy)
    row = client.get(reverse("sessions:caseload")).context["rows"][0]
    assert row.record_url == reverse("sessions:record", args=[row.pk])
    assert client.get(row.record_url).status_code == 200


# -- small caseloads built through the services ------------------------------------------


def test_a_short_caseload_has_no_pager(client, db):
    pwp = UserFactory(role=Role.PWP)
    ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.force_login(pwp)
    response = client.get(reverse("sessions:caseload"))
    assert response.context["open_cases"] == 1 and len(response.context["rows"]) == 1
    assert 'aria-label="Caseload pages"' not in response.content.decode()


def test_figures_from_the_services(client, db):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    add_sessions(pwp, referral, 3)  # PHQ-9 16, 15, 14; GAD-7 12, 11, 10; all attended treatment
    TherapySession.objects.filter(referral=referral).order_by("started_at").first()
    row = caseload_for_user(user=pwp).rows[0]
    assert (row.sessions_count, row.treatment_count) == (3, 3)
    assert (row.phq9_first, row.phq9_last, row.gad7_first, row.gad7_last) == (16, 14, 12, 10)
    assert row.phq9_band and row.gad7_band and row.risk_marker is False
    assert row.days_since_review == (timezone.localdate() - timezone.localdate(referral.opened_at)).days
    assert row.status_label == referral.get_status_display()
    # another practitioner's case is not on it
    other = UserFactory(role=Role.PWP, service=pwp.service)
    ReferralFactory(patient__service=pwp.service, assigned_practitioner=other)
    assert [r.pk for r in selectors.caseload_for_user(user=pwp).rows] == [referral.pk]
