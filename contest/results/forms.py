"""Forms of the organizers' shortlist and awards pages."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from contest.operations.results import KINDS, NAME_MAX

KIND_LABELS = {"jury": "Jury (a shortlisted film)", "audience": "Audience (from the votes)",
               "custom": "Custom (any eligible film)"}


class ShortlistRow(Form):
    film = HiddenField()
    include = BooleanField("On the shortlist")
    position = IntegerField("Position", validators=[Optional(), NumberRange(min=1, max=999)])


class ShortlistForm(FlaskForm):
    rows = FieldList(FormField(ShortlistRow))

    def chosen(self):
        """Public ids of the ticked films, by position; unnumbered ones keep the page order."""
        ticked = [(row.position.data or 1000, n, row.film.data)
                  for n, row in enumerate(self.rows) if row.include.data]
        return [film for _, _, film in sorted(ticked)]


class AwardRow(Form):
    # Not "name": a FormField's own name would hide a subfield called so.
    award = StringField("Award", validators=[Length(max=NAME_MAX)])
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
                       default="custom")
    film = SelectField("Winner", choices=[], validate_choice=True)
    remove = BooleanField("Remove")


class AwardsForm(FlaskForm):
    awards = FieldList(FormField(AwardRow))

    def set_films(self, films):
        for row in self.awards:
            row.film.choices = [SelectChoice("", "No winner yet")] + [
                SelectChoice(film.public_id, film.title) for film in films]

    def items(self):
        """[{name, kind, film}] of the rows that have a name and are not removed."""
        return [{"name": row.award.data, "kind": row.kind.data, "film": row.film.data or None}
                for row in self.awards if (row.award.data or "").strip() and not row.remove.data]


class ActionForm(FlaskForm):
    """Only the CSRF token: publish or take back the results."""
