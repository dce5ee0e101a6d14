"""The one number format (rankings.numbers): every page writes scores and differences through it."""

from django.template import Context, Template

from rankings.numbers import FEW_QUESTIONS, difference_html, interval_text, percent, points, score_html


def test_scores_are_percent_with_one_decimal_and_both_interval_ends():
    assert percent(0.53333) == "53.3" and percent(1) == "100.0" and percent(None) == "—"
    assert interval_text([0.3612, 0.6981]) == "[36.1–69.8]" and interval_text(None) == ""
    assert score_html(0.53333, [0.3612, 0.6981]) == '53.3 <small class="ci">[36.1–69.8]</small>'
    assert score_html(None, [0.1, 0.2]) == "—"


def test_few_questions_are_counted_and_many_are_not():
    assert "n=5</small>" in score_html(0.6, [0.23, 0.88], 5)
    assert "n=" not in score_html(0.6, [0.58, 0.62], FEW_QUESTIONS)


def test_differences_are_signed_points():
    assert points(0.04) == "+4.0" and points(-0.0312) == "\u22123.1" and points(0.0001) == "0.0"
    assert difference_html(0.04, [-0.03, 0.11]) == '+4.0 <small class="ci">[\u22123.0–+11.0]</small>'


def test_the_template_tags_write_the_same():
    rendered = Template("{% load numbers %}{{ v|pct }} {% score v ci %} {% difference d ci %}").render(
        Context({"v": 0.5, "ci": [0.4, 0.6], "d": -0.1})
    )
    assert rendered == (
        '50.0 50.0 <small class="ci">[40.0–60.0]</small> \u221210.0 <small class="ci">[+40.0–+60.0]</small>'
    )


def test_a_preview_shows_the_question_not_the_preamble():
    from comparisons.selectors import question_of

    prompt = (
        "The following are multiple choice questions (with answers) about anatomy.\n\n"
        "Which bone is longest?\nA. femur\nAnswer: A\n\n"
        "Which nerve supplies the deltoid?\nA. axillary\nB. radial\nAnswer:"
    )
    assert question_of(prompt) == "Which nerve supplies the deltoid?\nA. axillary\nB. radial\nAnswer:"
    assert question_of("Question: one paragraph only\nAnswer:") == "Question: one paragraph only\nAnswer:"
