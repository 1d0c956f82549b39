"""An OpenAPI 3 description of the Open311 GeoReport v2 endpoints in their JSON form, served at
/open311/v2/openapi.json for integrators and used by the property-based tests. The XML form of
each endpoint carries the same fields (see docs/api.md)."""

from django.http import JsonResponse

_NULLABLE_STRING = {"type": "string", "nullable": True}
_DATETIME = {"type": "string", "format": "date-time"}


def _errors():
    return {
        "description": "错误（规范格式）",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
    }


def _ok(schema_ref, description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _query(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name, description):
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


JURISDICTION = _query("jurisdiction_id", "镇的区划代码；空则为本系统默认的镇")
ERRORS = {"400": _errors(), "404": _errors(), "429": _errors()}

SCHEMAS = {
    "Errors": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
        },
    },
    "Discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": {"type": "string"},
            "contact": {"type": "string"},
            "key_service": {"type": "string"},
            "endpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": {"type": "string"},
                        "url": {"type": "string"},
                        "changeset": {"type": "string"},
                        "type": {"type": "string", "enum": ["production", "test"]},
                        "formats": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "jurisdictions": {
                "type": "array",
                "description": "本系统服务的镇（扩展字段）：jurisdiction_id为镇的区划代码",
                "items": {
                    "type": "object",
                    "required": ["jurisdiction_id", "name"],
                    "properties": {"jurisdiction_id": {"type": "string"}, "name": {"type": "string"}},
                },
            },
        },
    },
    "Services": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["service_code", "service_name", "metadata", "type"],
            "properties": {
                "service_code": {"type": "string"},
                "service_name": {"type": "string"},
                "description": _NULLABLE_STRING,
                "metadata": {"type": "boolean"},
                "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                "keywords": _NULLABLE_STRING,
                "group": _NULLABLE_STRING,
            },
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {
            "service_code": {"type": "string"},
            "attributes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["variable", "code", "datatype", "required"],
                    "properties": {
                        "variable": {"type": "boolean"},
                        "code": {"type": "string"},
                        "datatype": {
                            "type": "string",
                            "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
                        },
                        "required": {"type": "boolean"},
                        "datatype_description": _NULLABLE_STRING,
                        "order": {"type": "integer", "nullable": True},
                        "description": _NULLABLE_STRING,
                        "values": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "name"],
                                "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
    },
    "ServiceRequests": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["service_request_id", "status", "service_code", "requested_datetime"],
            "properties": {
                "service_request_id": {"type": "string"},
                "status": {"type": "string", "enum": ["open", "closed"]},
                "status_notes": _NULLABLE_STRING,
                "service_name": _NULLABLE_STRING,
                "service_code": {"type": "string"},
                "description": {"type": "string", "nullable": True, "maxLength": 4000},
                "agency_responsible": _NULLABLE_STRING,
                "service_notice": _NULLABLE_STRING,
                "requested_datetime": _DATETIME,
                "updated_datetime": {**_DATETIME, "nullable": True},
                "expected_datetime": {**_DATETIME, "nullable": True},
                "address": _NULLABLE_STRING,
                "address_id": _NULLABLE_STRING,
                "zipcode": _NULLABLE_STRING,
                "lat": {"type": "number", "nullable": True},
                "long": {"type": "number", "nullable": True},
                "media_url": _NULLABLE_STRING,
            },
        },
    },
    "PostResponse": {
        "type": "array",
        "minItems": 1,
        "maxItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "service_request_id": {"type": "string"},
                "token": {"type": "string"},
                "service_notice": _NULLABLE_STRING,
                "account_id": _NULLABLE_STRING,
            },
        },
    },
    "TokenResponse": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["token"],
            "properties": {"service_request_id": _NULLABLE_STRING, "token": {"type": "string"}},
        },
    },
    "NewRequest": {
        "type": "object",
        "required": ["api_key", "service_code"],
        "properties": {
            "api_key": {"type": "string"},
            "jurisdiction_id": {"type": "string"},
            "service_code": {"type": "string"},
            "lat": {"type": "number"},
            "long": {"type": "number"},
            "address_string": {"type": "string"},
            "address_id": {"type": "string"},
            "email": {"type": "string"},
            "device_id": {"type": "string"},
            "account_id": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "phone": {"type": "string"},
            "description": {"type": "string"},
            "media_url": {"type": "string"},
        },
        "additionalProperties": {"type": "string"},
    },
}


def document():
    prefix = "/open311/v2"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "镇务通 Open311 GeoReport v2",
            "version": "2",
            "description": "GeoReport v2 的 JSON 形式；每个地址另有 .xml 形式，字段相同。说明见 docs/api.md。",
        },
        "paths": {
            f"{prefix}/discovery.json": {
                "get": {"operationId": "discovery", "responses": {"200": _ok("Discovery", "服务发现")}}
            },
            f"{prefix}/services.json": {
                "get": {
                    "operationId": "services",
                    "parameters": [JURISDICTION],
                    "responses": {"200": _ok("Services", "服务（诉求类别）"), **ERRORS},
                }
            },
            f"{prefix}/services/{{service_code}}.json": {
                "get": {
                    "operationId": "service_definition",
                    "parameters": [_path("service_code", "类别代码"), JURISDICTION],
                    "responses": {"200": _ok("ServiceDefinition", "补充问题"), **ERRORS},
                }
            },
            f"{prefix}/requests.json": {
                "get": {
                    "operationId": "requests",
                    "parameters": [
                        JURISDICTION,
                        _query("service_request_id", "编号，可用逗号分隔；给出时忽略其他条件"),
                        _query("service_code", "类别代码，可用逗号分隔"),
                        _query("start_date", "W3C 日期时间（登记时间起）"),
                        _query("end_date", "W3C 日期时间（登记时间止）"),
                        _query("status", "open、closed，可用逗号分隔"),
                        _query("page", "页码（扩展）", {"type": "integer"}),
                        _query("page_size", "每页条数，最多1000（扩展）", {"type": "integer"}),
                    ],
                    "responses": {"200": _ok("ServiceRequests", "诉求"), **ERRORS},
                },
                "post": {
                    "operationId": "create_request",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/NewRequest"}}
                        },
                    },
                    "responses": {
                        "200": _ok("PostResponse", "已登记（或排队）"),
                        "403": _errors(),
                        "413": _errors(),
                        **ERRORS,
                    },
                },
            },
            f"{prefix}/requests/{{service_request_id}}.json": {
                "get": {
                    "operationId": "request",
                    "parameters": [_path("service_request_id", "诉求编号"), JURISDICTION],
                    "responses": {"200": _ok("ServiceRequests", "一条诉求"), **ERRORS},
                }
            },
            f"{prefix}/tokens/{{token}}.json": {
                "get": {
                    "operationId": "token",
                    "parameters": [_path("token", "排队提交得到的 token"), JURISDICTION],
                    "responses": {"200": _ok("TokenResponse", "token 对应的编号"), **ERRORS},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }


def openapi(request):
    response = JsonResponse(document(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
