"""SQLAlchemy models, one module per aggregate."""
from contest.models.contests import AcceptedPhone, Contest
from contest.models.films import Film, Rendition
from contest.models.jobs import Job
from contest.models.judging import (
    AuditEntry,
    Award,
    Criterion,
    JudgeAssignment,
    Review,
    Score,
    ShortlistEntry,
)
from contest.models.users import ApiToken, User
from contest.models.votes import FilmView, ShareCount, Vote

__all__ = ["AcceptedPhone", "ApiToken", "AuditEntry", "Award", "Contest", "Criterion", "Film",
           "FilmView", "Job", "JudgeAssignment", "Rendition", "Review", "Score", "ShareCount",
           "ShortlistEntry", "User", "Vote"]
