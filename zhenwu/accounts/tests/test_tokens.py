"""Personal staff API tokens: the page, authentication of /api/v1/, revoking."""

from zhenwu.accounts.models import ApiToken


def test_staff_issue_their_own_tokens_and_cannot_revoke_others(client, cast, login):
    session = login(cast.users.handler)
    response = session.post("/api/tokens/", {"name": "办理统计脚本"})
    plain = response.context["plain"]
    assert session.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {plain}").json()["role"] == "handler"
    other = ApiToken.objects.create(user=cast.users.dispatcher, name="x", prefix="p", key_hash="h" * 64)
    assert session.post(f"/api/tokens/{other.pk}/revoke/").status_code == 404
    mine = ApiToken.objects.get(user=cast.users.handler)
    session.post(f"/api/tokens/{mine.pk}/revoke/")
    assert session.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {plain}").status_code == 401
