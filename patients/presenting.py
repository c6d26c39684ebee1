"""The presenting problem's national groups (IDS603 PresComp, ICD-10), as NHS
England groups them when it reports the data set (DOMAIN.md "The national data
set", code lists: "Problem groups"). Plain data and functions, no Django imports.

Source of the grouping: NHS England's own SQL over the submitted data,
nhsengland/Talking-Therapies at commit 8458b2eb99e9b8e7777bd799dbd538569dec0617,
e.g. "Unique Care Pathway (UCP) Dashboard/Monthly/Step 1 - UCP (M).sql" lines
79-95 (PresentingComplaintHigherCategory 'Depression', 'Anxiety and stress related
disorders (Total)' with the lower categories F400, F401, F402, F410, F411, F412,
F42, F431, F452 and 'Other F40-F43 code', 'Other Mental Health problems', 'Other
recorded problems', 'Unspecified', 'Invalid Data supplied'), and "Programme
Development Tool (PDT) Dashboard/2.11 Inequalities_Monthly_Region_Test_2.sql"
lines 50-53 (the latest IDS603 row counts: PresCompDate descending, then the
later row) and 231-241 (F42 matched as 'F42%' for the OCD measure).

Which group a code falls in is derived from the code, never stored, so a
regrouping by NHS England is an edit here. Codes are stored as ICD-10 without
the dot (F41.1 is 'F411'), as the data set carries them."""

from __future__ import annotations

DEPRESSION = "Depression"
ANXIETY = "Anxiety and stress related disorders"
OTHER_MENTAL_HEALTH = "Other mental health problem"
OTHER_RECORDED = "Other recorded problem"
UNSPECIFIED = "Unspecified"

# The anxiety and stress related codes NHS England reports one by one (its
# lower categories); any other F40-F43 code is "Other F40-F43".
NAMED_ANXIETY = {
    "F400": "Agoraphobia",
    "F401": "Social phobia",
    "F402": "Specific (isolated) phobia",
    "F410": "Panic disorder",
    "F411": "Generalised anxiety disorder",
    "F412": "Mixed anxiety and depressive disorder",
    "F42": "Obsessive-compulsive disorder",
    "F431": "Post-traumatic stress disorder",
    "F452": "Hypochondriacal disorders (health anxiety)",
}
OTHER_F40_F43 = "Other F40-F43"

# The codes a practitioner chooses from (patients.codes.ProblemDescriptor holds
# the same list with labels; a test keeps the two equal): the named groups, then
# codes of "other F40-F43", "other mental health problem" and "unspecified".
CODES = (
    "F32", "F33", "F400", "F401", "F402", "F410", "F411", "F412", "F42", "F431", "F452",
    "F408", "F413", "F418", "F419", "F430", "F432", "F438",
    "F341", "F450", "F454", "F502", "F510",
    "F99",
)  # fmt: skip

# Codes this product records for "unspecified". Whether NHS England counts F99
# as 'Unspecified' or as 'Other Mental Health problems' is not in its public SQL
# (the category is derived upstream): *confirm* in the TOS (decision 023).
UNSPECIFIED_CODES = frozenset({"F99"})
UNSPECIFIED_CONFIRMED = False


def group(code: str) -> tuple[str, str]:
    """(higher group, lower group) of an ICD-10 code without its dot, e.g.
    'F411' -> ('Anxiety and stress related disorders', 'Generalised anxiety
    disorder'), 'F432' -> (..., 'Other F40-F43'), 'F502' -> ('Other mental
    health problem', ''), '' -> ('Unspecified', ''). A code outside chapter F is
    an 'Other recorded problem' (NHS England's 'Other recorded problems')."""
    code = (code or "").strip().upper().replace(".", "")
    if not code or code in UNSPECIFIED_CODES:
        return UNSPECIFIED, ""
    if code[:3] in ("F32", "F33"):
        return DEPRESSION, ""
    if code.startswith("F42"):
        return ANXIETY, NAMED_ANXIETY["F42"]
    if code in NAMED_ANXIETY:
        return ANXIETY, NAMED_ANXIETY[code]
    if code[:3] in ("F40", "F41", "F43"):
        return ANXIETY, OTHER_F40_F43
    if code.startswith("F"):
        return OTHER_MENTAL_HEALTH, ""
    return OTHER_RECORDED, ""


def group_label(code: str) -> str:
    """The group as one phrase for pages and exports: the lower group where there
    is one, else the higher."""
    higher, lower = group(code)
    return lower or higher
