"""The one way a page writes a number: a score in percent with one decimal, then both ends of its 95% interval
(``53.3 [36.1–69.8]``), then how many questions it comes from where they are few; a difference in percentage
points, signed. Every template (through rankings.templatetags.numbers), the ranking's rows and the charts'
labels write scores with these functions; the API and the exports give the unrounded fractions."""

# Below this many questions a score says how many it comes from (a subject of 5 questions scores 60.0).
FEW_QUESTIONS = 100
MINUS = "\u2212"


def percent(value) -> str:
    """A fraction in [0, 1] as a percentage with one decimal; an unknown value as a dash."""
    return "—" if value is None else f"{value * 100:.1f}"


def points(value) -> str:
    """A difference of two fractions in percentage points, signed (the minus sign, not a hyphen)."""
    if value is None:
        return "—"
    text = f"{abs(value) * 100:.1f}"
    if text == "0.0":
        return text
    return f"{'+' if value > 0 else MINUS}{text}"


def interval_text(interval, write=percent) -> str:
    """Both ends of an interval: ``[36.1–69.8]``; empty where there is none."""
    if not interval or interval[0] is None or interval[1] is None:
        return ""
    return f"[{write(interval[0])}–{write(interval[1])}]"


def score_html(value, interval=None, n=None) -> str:
    """A score, its interval in a <small class="ci"> and, from fewer than FEW_QUESTIONS questions, their count.
    Only numbers: nothing to escape."""
    if value is None:
        return "—"
    text = percent(value)
    ends = interval_text(interval)
    if ends:
        text += f' <small class="ci">{ends}</small>'
    if n is not None and n < FEW_QUESTIONS:
        text += f' <small class="n" title="from {int(n)} question{"s" if n != 1 else ""}">n={int(n)}</small>'
    return text


def difference_html(value, interval=None) -> str:
    """A difference in percentage points with its interval: ``+4.0 [−3.0–11.0]``."""
    if value is None:
        return "—"
    ends = interval_text(interval, points)
    return points(value) + (f' <small class="ci">{ends}</small>' if ends else "")
