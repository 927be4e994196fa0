"""Forms of the judging pages; every POST carries a CSRF token (FlaskForm)."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from contest.operations.judging import DESCRIPTION_MAX, NAME_MAX, NOTE_MAX

BLANK_ROWS = 2  # empty rubric rows offered for new criteria


class ScoreFormBase(FlaskForm):
    note = TextAreaField("Private note", validators=[Length(max=NOTE_MAX)],
                         description="Only you can read it (and the organizers).")
    save = SubmitField("Save")
    save_next = SubmitField("Save and go to the next film")


def score_form(criteria, review=None, **kwargs):
    """A ScoreForm with one whole-number field per criterion, filled from review."""
    fields = {
        field_name(c): IntegerField(
            c.name, description=c.description,
            validators=[Optional(), NumberRange(c.min_score, c.max_score,
                                                f"From {c.min_score} to {c.max_score}.")],
            render_kw={"min": c.min_score, "max": c.max_score, "step": 1, "type": "number",
                       "inputmode": "numeric"})
        for c in criteria
    }
    form_class = type("ScoreForm", (ScoreFormBase,), fields)
    if review is not None and "formdata" not in kwargs:
        data = {field_name(c): review["scores"].get(c.name) for c in criteria}
        kwargs["data"] = {**data, "note": review["note"]}
    return form_class(**kwargs)


def field_name(criterion):
    return f"c{criterion.id}"


def scores_from(form, criteria):
    """{criterion name: whole number or None (clears it)} from a validated score form."""
    return {c.name: form[field_name(c)].data for c in criteria}


class ToggleForm(FlaskForm):
    """A button that sets a flag (nominated, conflict) to the hidden value."""

    value = HiddenField(validators=[DataRequired()])


class ConflictForm(ToggleForm):
    confirm = BooleanField("I have a conflict of interest with this film (I know its maker, "
                           "worked on it, or cannot judge it fairly).",
                           validators=[DataRequired("Tick the box to confirm.")])


class CriterionRow(Form):
    """One rubric row; a row without a name is skipped (or removes that criterion)."""

    name = StringField("Name", validators=[Optional(), Length(max=NAME_MAX)])
    description = StringField("Description", validators=[Length(max=DESCRIPTION_MAX)])
    weight = FloatField("Weight", default=1.0, validators=[Optional()])
    min = IntegerField("Min", default=1, validators=[Optional()])
    max = IntegerField("Max", default=10, validators=[Optional()])


class RubricForm(FlaskForm):
    criteria = FieldList(FormField(CriterionRow))


def rubric_form(criteria_dicts):
    """The rubric form with the current criteria and BLANK_ROWS empty rows."""
    rows = [*criteria_dicts, *({"name": "", "description": "", "weight": 1.0, "min": 1,
                                "max": 10} for _ in range(BLANK_ROWS))]
    return RubricForm(data={"criteria": rows})


def criteria_from(form):
    """The filled rows as plain dicts for set_rubric (which checks them)."""
    rows = []
    for row in form.criteria.entries:
        if (row.form.name.data or "").strip():
            rows.append({"name": row.form.name.data, "description": row.form.description.data,
                         "weight": row.form.weight.data, "min": row.form.min.data,
                         "max": row.form.max.data})
    return rows


class PanelForm(FlaskForm):
    emails = TextAreaField("Judges' emails", description="One email a line. Each needs an "
                           "account; assigning someone makes them a judge.")
