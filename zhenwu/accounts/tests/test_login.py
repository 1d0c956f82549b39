from zhenwu.audit.models import AuditEntry


def test_secretary_logs_in_and_reaches_home(client, cast, login):
    login(cast.users.secretary)
    response = client.get("/")
    assert response.status_code == 200
    assert "九龙村" in response.content.decode()
    assert AuditEntry.objects.filter(action="login", actor=cast.users.secretary).exists()
