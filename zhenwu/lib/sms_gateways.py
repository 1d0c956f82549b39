"""The real SMS gateways: Alibaba Cloud SMS (dysmsapi SendSms, RPC signature v1) and Tencent Cloud
SMS (SendSms 2021-01-11, TC3-HMAC-SHA256), each behind the `send(phone, message)` of
zhenwu.lib.sms.

Settings (environment variables, docs/deploy.md):
- ZHENWU_SMS_ACCESS_KEY_ID / ZHENWU_SMS_ACCESS_KEY_SECRET: Alibaba's AccessKey or Tencent's
  SecretId/SecretKey;
- ZHENWU_SMS_SIGN_NAME: the approved signature (短信签名), e.g. 官桥镇人民政府;
- ZHENWU_SMS_TEMPLATES: {kind: template code or id} (SMS_123456 / 1234567) for the kinds of
  zhenwu.lib.sms.KIND_PARAMS; Alibaba fills named variables (${code}), Tencent numbered ones in
  KIND_PARAMS' order ({1} {2});
- ZHENWU_SMS_APP_ID (Tencent's SmsSdkAppId), ZHENWU_SMS_REGION, ZHENWU_SMS_ENDPOINT (the API's
  address; tests point it at a local fake), ZHENWU_SMS_TIMEOUT (seconds).

Each request has a timeout, reads at most MAX_RESPONSE_BYTES of the answer and accepts only the
answer's documented shape; every refusal becomes an SmsError whose text says in Chinese what to do,
with the provider's code kept for the log.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings

from .masking import mask_phone
from .sms import SmsError

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TIMEOUT = 5.0

# Provider codes grouped by what the resident or the operator should do about them.
_TRY_LATER = "短信发送过于频繁，请稍后再试"
_BAD_NUMBER = "手机号码不正确，请检查后重新输入"
_BLOCKED = "该号码无法接收短信，请拨打镇便民服务热线"
_MISCONFIGURED = "短信服务配置有误，请联系镇党政办"
_UNAVAILABLE = "短信服务暂不可用，请稍后再试"

ALIYUN_ERRORS = {
    "isv.BUSINESS_LIMIT_CONTROL": _TRY_LATER,
    "isv.DAY_LIMIT_CONTROL": _TRY_LATER,
    "isv.MOBILE_NUMBER_ILLEGAL": _BAD_NUMBER,
    "isv.MOBILE_COUNT_OVER_LIMIT": _BAD_NUMBER,
    "isv.BLACK_KEY_CONTROL_LIMIT": _BLOCKED,
    "isv.SMS_TEMPLATE_ILLEGAL": _MISCONFIGURED,
    "isv.SMS_SIGNATURE_ILLEGAL": _MISCONFIGURED,
    "isv.TEMPLATE_MISSING_PARAMETERS": _MISCONFIGURED,
    "isv.INVALID_PARAMETERS": _MISCONFIGURED,
    "isv.PARAM_LENGTH_LIMIT": _MISCONFIGURED,
    "isv.AMOUNT_NOT_ENOUGH": "短信余额不足，请联系镇党政办",
    "isv.OUT_OF_SERVICE": "短信服务已停用，请联系镇党政办",
    "SignatureDoesNotMatch": _MISCONFIGURED,
    "InvalidAccessKeyId.NotFound": _MISCONFIGURED,
    "isp.SYSTEM_ERROR": _UNAVAILABLE,
}

TENCENT_ERRORS = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": _TRY_LATER,
    "LimitExceeded.PhoneNumberOneHourLimit": _TRY_LATER,
    "LimitExceeded.PhoneNumberDailyLimit": _TRY_LATER,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": _TRY_LATER,
    "InvalidParameterValue.IncorrectPhoneNumber": _BAD_NUMBER,
    "FailedOperation.PhoneNumberInBlacklist": _BLOCKED,
    "FailedOperation.PhoneNumberOnBlacklist": _BLOCKED,
    "FailedOperation.TemplateIncorrectOrUnapproved": _MISCONFIGURED,
    "FailedOperation.SignatureIncorrectOrUnapproved": _MISCONFIGURED,
    "InvalidParameterValue.TemplateParameterFormatError": _MISCONFIGURED,
    "InvalidParameterValue.TemplateParameterLengthLimit": _MISCONFIGURED,
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": _MISCONFIGURED,
    "AuthFailure.SignatureFailure": _MISCONFIGURED,
    "AuthFailure.SecretIdNotFound": _MISCONFIGURED,
    "AuthFailure.SignatureExpire": "服务器时间不准确，短信未能发送，请联系镇党政办",
    "FailedOperation.InsufficientBalanceInSmsPackage": "短信余额不足，请联系镇党政办",
    "InternalError.Timeout": _UNAVAILABLE,
}


def _error(table, code, message=""):
    return SmsError(table.get(code, _UNAVAILABLE), code=code or message[:100])


def _setting(name, default=""):
    return getattr(settings, f"ZHENWU_SMS_{name}", default) or default


def _post(url, *, body, headers, timeout):
    """POST and return the parsed JSON answer (a dict), reading at most MAX_RESPONSE_BYTES. An
    HTTP error status still carries the provider's JSON error, so its body is read the same way."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https in settings)
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raw = exc.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SmsError(_UNAVAILABLE, code=type(exc).__name__) from exc
    if len(raw) > MAX_RESPONSE_BYTES:
        raise SmsError(_UNAVAILABLE, code="response too large")
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SmsError(_UNAVAILABLE, code="response not JSON") from exc
    if not isinstance(answer, dict):
        raise SmsError(_UNAVAILABLE, code="response not an object")
    return answer


def _template(templates, kind):
    template = (templates or {}).get(kind)
    if not template:
        raise SmsError(_MISCONFIGURED, code=f"no template for {kind}")
    return str(template)


# --- Alibaba Cloud ---------------------------------------------------------------------------


def aliyun_percent_encode(value):
    """RFC 3986 encoding as Alibaba's RPC signature wants it: unreserved characters kept, space
    %20, '*' %2A, '~' kept (quote's safe='~' does exactly this)."""
    return urllib.parse.quote(str(value), safe="~")


def aliyun_canonical_query(params):
    return "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )


def aliyun_string_to_sign(params, method="GET"):
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(aliyun_canonical_query(params))}"


def aliyun_signature(params, secret, method="GET"):
    """Base64(HMAC-SHA1(secret + "&", StringToSign)) per Alibaba's RPC signature v1."""
    digest = hmac.new(
        f"{secret}&".encode(), aliyun_string_to_sign(params, method).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


class AliyunBackend:
    """Alibaba Cloud SMS, SendSms (API version 2017-05-25), POSTed as a signed form."""

    ENDPOINT = "https://dysmsapi.aliyuncs.com/"

    def __init__(self, *, access_key_id=None, access_key_secret=None, sign_name=None, templates=None,
                 endpoint=None, region=None, timeout=None):
        self.access_key_id = access_key_id or _setting("ACCESS_KEY_ID")
        self.access_key_secret = access_key_secret or _setting("ACCESS_KEY_SECRET")
        self.sign_name = sign_name or _setting("SIGN_NAME")
        self.templates = templates if templates is not None else _setting("TEMPLATES", {})
        self.endpoint = endpoint or _setting("ENDPOINT", self.ENDPOINT)
        self.region = region or _setting("REGION", "cn-hangzhou")
        self.timeout = float(timeout or _setting("TIMEOUT", DEFAULT_TIMEOUT))

    def signed_params(self, phone, message, *, nonce=None, timestamp=None):
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": _template(self.templates, message.kind),
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret, "POST")
        return params

    def send(self, phone, message):
        if not (self.access_key_id and self.access_key_secret and self.sign_name):
            raise SmsError(_MISCONFIGURED, code="aliyun not configured")
        params = self.signed_params(phone, message)
        answer = _post(
            self.endpoint,
            body=urllib.parse.urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
            timeout=self.timeout,
        )
        code = answer.get("Code")
        if code != "OK":
            log.warning("Aliyun SMS to %s refused: %s", mask_phone(phone), code)
            raise _error(ALIYUN_ERRORS, code if isinstance(code, str) else "", str(answer.get("Message", "")))
        return str(answer.get("BizId", ""))[:64]


# --- Tencent Cloud ---------------------------------------------------------------------------


def _sha256_hex(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()


def _hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_canonical_request(*, method, headers, payload, query=""):
    """The canonical request over `headers` ({lower-case name: value}, all of them signed)."""
    names = sorted(headers)
    canonical_headers = "".join(f"{name}:{str(headers[name]).strip().lower()}\n" for name in names)
    return "\n".join([method, "/", query, canonical_headers, ";".join(names), _sha256_hex(payload)])


def tc3_signature(*, secret_key, service, timestamp, canonical_request):
    """(string to sign, hex signature) per Tencent Cloud's TC3-HMAC-SHA256."""
    date = datetime.datetime.fromtimestamp(int(timestamp), datetime.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, _sha256_hex(canonical_request)])
    key = _hmac_sha256(_hmac_sha256(_hmac_sha256(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return string_to_sign, hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(*, secret_id, secret_key, service, timestamp, headers, payload, method="POST"):
    canonical = tc3_canonical_request(method=method, headers=headers, payload=payload)
    _string, signature = tc3_signature(
        secret_key=secret_key, service=service, timestamp=timestamp, canonical_request=canonical
    )
    date = datetime.datetime.fromtimestamp(int(timestamp), datetime.UTC).strftime("%Y-%m-%d")
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders={';'.join(sorted(headers))}, Signature={signature}"
    )


class TencentBackend:
    """Tencent Cloud SMS, SendSms (API version 2021-01-11), a signed JSON POST."""

    ENDPOINT = "https://sms.tencentcloudapi.com/"
    SERVICE = "sms"
    CONTENT_TYPE = "application/json; charset=utf-8"

    def __init__(self, *, secret_id=None, secret_key=None, app_id=None, sign_name=None, templates=None,
                 endpoint=None, region=None, timeout=None):
        self.secret_id = secret_id or _setting("ACCESS_KEY_ID")
        self.secret_key = secret_key or _setting("ACCESS_KEY_SECRET")
        self.app_id = app_id or _setting("APP_ID")
        self.sign_name = sign_name or _setting("SIGN_NAME")
        self.templates = templates if templates is not None else _setting("TEMPLATES", {})
        self.endpoint = endpoint or _setting("ENDPOINT", self.ENDPOINT)
        self.region = region or _setting("REGION", "ap-guangzhou")
        self.timeout = float(timeout or _setting("TIMEOUT", DEFAULT_TIMEOUT))

    def request(self, phone, message, *, timestamp=None):
        """(body bytes, headers) of the signed request."""
        number = phone if phone.startswith("+") else f"+86{phone}"
        body = json.dumps(
            {
                "PhoneNumberSet": [number],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": _template(self.templates, message.kind),
                "TemplateParamSet": message.ordered_params(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = int(timestamp or time.time())
        host = urllib.parse.urlsplit(self.endpoint).netloc
        signed = {"content-type": self.CONTENT_TYPE, "host": host, "x-tc-action": "sendsms"}
        headers = {
            "Authorization": tc3_authorization(
                secret_id=self.secret_id,
                secret_key=self.secret_key,
                service=self.SERVICE,
                timestamp=timestamp,
                headers=signed,
                payload=body,
            ),
            "Content-Type": self.CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        return body, headers

    def send(self, phone, message):
        if not (self.secret_id and self.secret_key and self.app_id and self.sign_name):
            raise SmsError(_MISCONFIGURED, code="tencent not configured")
        body, headers = self.request(phone, message)
        answer = _post(self.endpoint, body=body, headers=headers, timeout=self.timeout)
        response = answer.get("Response")
        if not isinstance(response, dict):
            raise SmsError(_UNAVAILABLE, code="no Response")
        error = response.get("Error")
        if isinstance(error, dict):
            log.warning("Tencent SMS to %s refused: %s", mask_phone(phone), error.get("Code"))
            raise _error(TENCENT_ERRORS, str(error.get("Code", "")), str(error.get("Message", "")))
        statuses = response.get("SendStatusSet")
        if not isinstance(statuses, list) or len(statuses) != 1 or not isinstance(statuses[0], dict):
            raise SmsError(_UNAVAILABLE, code="no SendStatusSet")
        status = statuses[0]
        if status.get("Code") != "Ok":
            log.warning("Tencent SMS to %s refused: %s", mask_phone(phone), status.get("Code"))
            raise _error(TENCENT_ERRORS, str(status.get("Code", "")), str(status.get("Message", "")))
        return str(status.get("SerialNo", ""))[:64]
