"""``{% load runs %}{% run_progress_bar run %}``: a run's progress bar with elapsed time and an estimate of
the rest, kept current by static/evaluation/progress.js without reloading the page."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma, ordinal

from evaluation.selectors import RunProgress, run_progress

register = template.Library()


def duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def progress_text(p: RunProgress) -> str:
    """One line saying where a run is; the same on the page and in progress.json."""
    if p.status == "QUEUED":
        return f"queued, {ordinal(p.queue_position)} in line" if p.queue_position else "queued"
    parts = [p.stage or p.status_label] if p.status == "RUNNING" else [p.status_label]
    if p.total:
        parts.append(f"{intcomma(p.done)} / {intcomma(p.total)} requests ({p.percent:g}%)")
    elif p.done:
        parts.append(f"{intcomma(p.done)} requests")
    if p.elapsed_s is not None:
        parts.append(f"{duration(p.elapsed_s)} {'elapsed' if p.status == 'RUNNING' else 'in all'}")
    if p.eta_s is not None:
        parts.append(f"about {duration(p.eta_s)} left")
    if p.reason:
        parts.append(p.reason)
    return " · ".join(parts)


@register.inclusion_tag("evaluation/_run_progress.html")
def run_progress_bar(run):
    progress = run_progress(run)
    return {"p": progress, "text": progress_text(progress)}
