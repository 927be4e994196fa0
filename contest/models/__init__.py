"""SQLAlchemy models, one module per aggregate."""
from contest.models.contests import AcceptedPhone, Contest
from contest.models.films import Film, Rendition
from contest.models.jobs import Job
from contest.models.users import ApiToken, User

__all__ = ["AcceptedPhone", "ApiToken", "Contest", "Film", "Job", "Rendition", "User"]
