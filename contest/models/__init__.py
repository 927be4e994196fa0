"""SQLAlchemy models, one module per aggregate."""
from contest.models.contests import AcceptedPhone, Contest
from contest.models.films import Film, Rendition
from contest.models.jobs import Job
from contest.models.users import ApiToken, User
from contest.models.votes import FilmView, ShareCount, Vote

__all__ = ["AcceptedPhone", "ApiToken", "Contest", "Film", "FilmView", "Job", "Rendition",
           "ShareCount", "User", "Vote"]
