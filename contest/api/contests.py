from flask import jsonify

from contest.api import bp


@bp.get("/contests")
def list_contests():
    return jsonify({"contests": []})
