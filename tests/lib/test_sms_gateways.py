"""The real SMS gateways: signing checked against the providers' published worked examples, and
sending checked against an in-process fake of each API that verifies the signature the way the
provider documents it (a wrong signature gets the provider's own refusal)."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zhenwu.lib import sms
from zhenwu.lib.sms import Message, SmsError, code_message, notice_message
from zhenwu.lib.sms_gateways import (
    MAX_RESPONSE_BYTES,
    AliyunBackend,
    TencentBackend,
    aliyun_signature,
    aliyun_string_to_sign,
    tc3_canonical_request,
    tc3_signature,
)

# --- the providers' published examples -------------------------------------------------------

# Alibaba Cloud, "RPC signature mechanism" (DescribeRegions, AccessKeySecret testsecret).
ALIYUN_RPC_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}

# Alibaba Cloud SMS, the SendSms signature example (AccessKeySecret testSecret).
ALIYUN_SMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_string_to_sign_matches_the_published_example():
    assert aliyun_string_to_sign(ALIYUN_RPC_EXAMPLE) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )


def test_aliyun_signature_matches_the_published_rpc_example():
    assert aliyun_signature(ALIYUN_RPC_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_signature_matches_the_published_send_sms_example_with_a_chinese_sign_name():
    assert aliyun_signature(ALIYUN_SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    # The Signature parameter itself never takes part.
    assert aliyun_signature({**ALIYUN_SMS_EXAMPLE, "Signature": "x"}, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_tc3_signature_matches_tencents_published_example():
    # Tencent Cloud API 3.0 "Signature v3": CVM DescribeInstances, SecretKey
    # Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, timestamp 1551113065.
    payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    assert hashlib.sha256(payload.encode()).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    canonical = tc3_canonical_request(
        method="POST",
        headers={"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"},
        payload=payload,
    )
    string_to_sign, signature = tc3_signature(
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        timestamp=1551113065,
        canonical_request=canonical,
    )
    assert string_to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


# --- fakes of the two APIs that check signatures as the providers do -------------------------

SECRET = "fake-secret-不要外传"


class _Fake:
    """An HTTP server on 127.0.0.1 in a thread; `answer(headers, body)` -> (status, bytes)."""

    def __init__(self, answer):
        fake = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fake.requests.append((self.headers, body))
                status, data = answer(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _aliyun_answer(codes):
    """Alibaba's check: recompute Base64(HMAC-SHA1(secret&, "POST&%2F&" + canonical query)) over
    every received parameter but Signature, and refuse a mismatch with SignatureDoesNotMatch."""

    def answer(headers, body):
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        expected = aliyun_signature(params, SECRET, "POST")
        if not hmac.compare_digest(params.get("Signature", ""), expected):
            return 400, json.dumps({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}).encode()
        code = codes.pop(0) if codes else "OK"
        return 200, json.dumps({"Code": code, "Message": "OK" if code == "OK" else "refused", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}).encode()

    return answer


def _tencent_answer(codes, secret=SECRET):
    """Tencent's check: rebuild the canonical request from the headers named in SignedHeaders and
    the body, derive the TC3 key for the credential's date and service, compare the signature."""

    def answer(headers, body):
        auth = headers.get("Authorization", "")
        try:
            algorithm, rest = auth.split(" ", 1)
            parts = dict(part.strip().split("=", 1) for part in rest.split(","))
            _secret_id, date, service, _term = parts["Credential"].split("/")
        except ValueError:
            return 200, json.dumps({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}}).encode()
        names = parts["SignedHeaders"].split(";")
        signed = {name: headers.get(name, "") for name in names}
        canonical = tc3_canonical_request(method="POST", headers=signed, payload=body)
        timestamp = headers.get("X-TC-Timestamp", "0")
        _s, expected = tc3_signature(secret_key=secret, service=service, timestamp=timestamp, canonical_request=canonical)
        scope_ok = algorithm == "TC3-HMAC-SHA256" and "content-type" in names and "host" in names
        if not scope_ok or not hmac.compare_digest(parts["Signature"], expected):
            return 200, json.dumps({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "The provided credentials could not be validated."}, "RequestId": "r"}}).encode()
        code = codes.pop(0) if codes else "Ok"
        number = json.loads(body)["PhoneNumberSet"][0]
        return 200, json.dumps({"Response": {"SendStatusSet": [{"SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": number, "Fee": 1, "SessionContext": "", "Code": code, "Message": "send success", "IsoCode": "CN"}], "RequestId": "a0aabda6"}}).encode()

    return answer


@pytest.fixture
def fake():
    servers = []

    def start(answer):
        server = _Fake(answer)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


TEMPLATES = {"code": "SMS_100001", "notice": "SMS_100002"}


def _aliyun(url, secret=SECRET, timeout=2):
    return AliyunBackend(access_key_id="LTAI-test", access_key_secret=secret, sign_name="官桥镇人民政府",
                         templates=TEMPLATES, endpoint=url, timeout=timeout)


def _tencent(url, secret=SECRET):
    return TencentBackend(secret_id="AKID-test", secret_key=secret, app_id="1400006666", sign_name="官桥镇人民政府",
                          templates={"code": "449739", "notice": "449740"}, endpoint=url, timeout=2)


def test_aliyun_sends_a_code_with_its_template_and_a_signature_the_fake_accepts(fake):
    server = fake(_aliyun_answer([]))
    biz_id = _aliyun(server.url).send("13800138000", code_message("482913", minutes=10))
    assert biz_id == "900619746936498440^0"
    params = dict(urllib.parse.parse_qsl(server.requests[0][1].decode()))
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert params["PhoneNumbers"] == "13800138000"
    assert params["SignName"] == "官桥镇人民政府"
    assert params["TemplateCode"] == "SMS_100001"
    assert json.loads(params["TemplateParam"]) == {"code": "482913", "minutes": "10"}


def test_aliyun_with_a_wrong_secret_is_refused_by_the_signature_check(fake):
    server = fake(_aliyun_answer([]))
    with pytest.raises(SmsError) as caught:
        _aliyun(server.url, secret="wrong").send("13800138000", code_message("1", minutes=10))
    assert caught.value.code == "SignatureDoesNotMatch"
    assert str(caught.value) == "短信服务配置有误，请联系镇党政办"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "短信发送过于频繁，请稍后再试"),
        ("isv.MOBILE_NUMBER_ILLEGAL", "手机号码不正确，请检查后重新输入"),
        ("isv.AMOUNT_NOT_ENOUGH", "短信余额不足，请联系镇党政办"),
        ("isv.SOMETHING_NEW", "短信服务暂不可用，请稍后再试"),
    ],
)
def test_aliyun_error_codes_become_clear_chinese_errors(fake, code, text):
    server = fake(_aliyun_answer([code]))
    with pytest.raises(SmsError) as caught:
        _aliyun(server.url).send("13800138000", notice_message("您的诉求GQ-2026-000001已受理。", link="https://x/"))
    assert str(caught.value) == text and caught.value.code == code


def test_tencent_sends_a_notice_with_numbered_parameters_and_a_signature_the_fake_accepts(fake):
    server = fake(_tencent_answer([]))
    message = notice_message("您的诉求GQ-2026-000001已受理。", link="https://zw.example.cn/concerns/mine/")
    assert _tencent(server.url).send("13800138000", message) == "5000:1045710669157053657849499619"
    headers, body = server.requests[0]
    sent = json.loads(body)
    assert sent == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "官桥镇人民政府",
        "TemplateId": "449740",
        "TemplateParamSet": ["您的诉求GQ-2026-000001已受理。", "https://zw.example.cn/concerns/mine/"],
    }
    assert headers["X-TC-Action"] == "SendSms" and headers["X-TC-Version"] == "2021-01-11"


def test_tencent_with_a_wrong_secret_is_refused_by_the_signature_check(fake):
    server = fake(_tencent_answer([]))
    with pytest.raises(SmsError) as caught:
        _tencent(server.url, secret="wrong").send("13800138000", code_message("1", minutes=10))
    assert caught.value.code == "AuthFailure.SignatureFailure"
    assert str(caught.value) == "短信服务配置有误，请联系镇党政办"


def test_tencent_per_number_refusal_becomes_a_chinese_error(fake):
    server = fake(_tencent_answer(["LimitExceeded.PhoneNumberOneHourLimit"]))
    with pytest.raises(SmsError) as caught:
        _tencent(server.url).send("13800138000", code_message("1", minutes=10))
    assert str(caught.value) == "短信发送过于频繁，请稍后再试"


def test_answers_that_are_too_large_or_not_json_are_refused(fake):
    big = fake(lambda h, b: (200, b"{" + b" " * (MAX_RESPONSE_BYTES + 10) + b"}"))
    with pytest.raises(SmsError) as caught:
        _aliyun(big.url).send("13800138000", code_message("1", minutes=10))
    assert caught.value.code == "response too large"
    garbage = fake(lambda h, b: (502, b"<html>bad gateway</html>"))
    with pytest.raises(SmsError) as caught:
        _tencent(garbage.url).send("13800138000", code_message("1", minutes=10))
    assert str(caught.value) == "短信服务暂不可用，请稍后再试"


def test_a_gateway_that_does_not_answer_times_out(fake):
    stalled = threading.Event()

    def slow(headers, body):
        stalled.wait(3)
        return 200, b"{}"

    server = fake(slow)
    with pytest.raises(SmsError) as caught:
        _aliyun(server.url, timeout=0.3).send("13800138000", code_message("1", minutes=10))
    stalled.set()
    assert str(caught.value) == "短信服务暂不可用，请稍后再试"


def test_a_kind_without_a_template_is_a_configuration_error(fake):
    server = fake(_aliyun_answer([]))
    with pytest.raises(SmsError, match="配置有误"):
        _aliyun(server.url).send("13800138000", Message(kind="other", text="x"))
    assert server.requests == []


def test_settings_select_the_gateway_and_send_sms_swallows_its_failure(fake, settings):
    server = fake(_aliyun_answer(["isv.BUSINESS_LIMIT_CONTROL", "OK"]))
    settings.ZHENWU_SMS_BACKEND = "aliyun"
    settings.ZHENWU_SMS_ACCESS_KEY_ID = "LTAI-test"
    settings.ZHENWU_SMS_ACCESS_KEY_SECRET = SECRET
    settings.ZHENWU_SMS_SIGN_NAME = "官桥镇人民政府"
    settings.ZHENWU_SMS_TEMPLATES = TEMPLATES
    settings.ZHENWU_SMS_ENDPOINT = server.url
    assert isinstance(sms.get_backend(), AliyunBackend)
    assert sms.send_sms("13800138000", "您的诉求已受理。") is False
    assert sms.send_sms("13800138000", "您的诉求已受理。") is True
    settings.ZHENWU_SMS_BACKEND = "tencent"
    assert isinstance(sms.get_backend(), TencentBackend)


def test_the_base64_of_a_signature_is_what_the_request_carries(fake):
    server = fake(_aliyun_answer([]))
    params = _aliyun(server.url).signed_params("13800138000", code_message("1", minutes=10), nonce="n", timestamp="2026-01-01T00:00:00Z")
    assert len(base64.b64decode(params["Signature"])) == 20  # an HMAC-SHA1 digest
