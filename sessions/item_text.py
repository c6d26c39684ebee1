"""Item wording shown on the session form (short forms of the published items).
Plain data; instruments without wording here are shown as numbered items."""

ANSWERS = {
    "PHQ9": ["Not at all", "Several days", "More than half the days", "Nearly every day"],
    "GAD7": ["Not at all", "Several days", "More than half the days", "Nearly every day"],
}
ITEMS = {
    "PHQ9": [
        "Little interest or pleasure in doing things",
        "Feeling down, depressed or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure",
        "Trouble concentrating on things",
        "Moving or speaking slowly, or being fidgety or restless",
        "Thoughts that you would be better off dead, or of hurting yourself",
    ],
    "GAD7": [
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ],
    "WSAS": [
        "Ability to work",
        "Home management",
        "Social leisure activities",
        "Private leisure activities",
        "Close relationships",
    ],
    "PHOBIA": [
        "Social situations (fear of embarrassment or criticism)",
        "Certain situations because of a fear of a panic attack",
        "Certain situations because of a fear of particular objects or activities",
    ],
}


def item_label(code: str, number: int) -> str:
    items = ITEMS.get(code)
    if items and number <= len(items):
        return f"{number}. {items[number - 1]}"
    return f"Item {number}"


def answer_label(code: str, value) -> str:
    answers = ANSWERS.get(code)
    if answers and isinstance(value, int) and 0 <= value < len(answers):
        return f"{value} – {answers[value]}"
    return str(value)
