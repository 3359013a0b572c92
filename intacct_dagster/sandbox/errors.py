"""Error bodies in the shapes the real API uses (so clients exercise their real error handling).

* REST errors (validation, not found): ``{"ia::result": {"ia::error": {...}}, "ia::meta": {...}}`` -- the
  OpenAPI ``error-response`` shape (Sage also documents ``ia::meta`` at top level; we send that).
* Gateway errors (``GW-00xx``) and ``tokenInvalid``: top-level ``{"ia::error": {...}}`` as seen live.
"""

from __future__ import annotations

import base64
import os


def support_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(18)).decode().replace("-", "%7E")


def request_id() -> str:
    return os.urandom(4).hex().upper() + ":" + os.urandom(2).hex().upper() + "_" + os.urandom(4).hex().upper()


def _info(message_id: str, placeholders: dict | None = None) -> dict:
    return {"messageId": message_id, "placeholders": placeholders or {}, "propertySet": {}}


def rest_error(code: str, message: str, error_id: str, message_id: str, details: list | None = None,
               placeholders: dict | None = None) -> dict:
    err = {"code": code, "message": message, "errorId": error_id, "additionalInfo": _info(message_id, placeholders),
           "supportId": support_id()}
    if details:
        err["details"] = details
    return {"ia::result": {"ia::error": err}, "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}}


def detail(message: str, target: str, error_id: str = "REST-1043", message_id: str = "IA.NOT_A_VALID_FIELD",
           placeholders: dict | None = None) -> dict:
    if placeholders is None:
        placeholders = {"FIELD": target} if target else {}
    return {"code": "invalidRequest", "message": message, "errorId": error_id, "target": target,
            "additionalInfo": _info(message_id, placeholders)}


def query_errors(details: list[tuple]) -> dict:
    """The 400 body for query-validation failures. Fields that cannot be used in a query (write-only, arrays,
    owned lists) get the real API's REST-1106 shape: the first one's message on ``ia::error`` (as recorded from
    the live API), one detail per offending field; everything else is REST-1064 with REST-1043 details."""
    items = [detail(d[0], d[1], d[2], d[3], d[4] if len(d) > 4 else None) for d in details]
    if details and all(d[2] == "REST-1106" for d in details):
        first = details[0]
        return rest_error("invalidRequest", first[0], "REST-1106", first[3], items,
                          placeholders=first[4] if len(first) > 4 else None)
    return invalid_request(items)


def invalid_request(details: list[dict]) -> dict:
    return rest_error("invalidRequest", "Payload contains errors", "REST-1064", "IA.PAYLOAD_CONTAINS_ERRORS", details)


def not_found(message: str, target: str = "") -> dict:
    return rest_error("notFound", message, "REST-1066", "IA.REQUESTED_RESOURCE_NOT_FOUND",
                      [detail(message, target, "REST-1066", "IA.REQUESTED_RESOURCE_NOT_FOUND")] if target else None)


def gateway_error(code: str, message: str) -> dict:
    return {"ia::error": {"code": code, "message": message, "details": {"requestId": request_id()}}}


def token_invalid() -> dict:
    return {"ia::error": {"code": "tokenInvalid", "message": "Token is not valid", "errorId": "REST-2102",
                          "additionalInfo": _info("IA.TOKEN_IS_INVALID"), "supportId": support_id()}}


def token_invalid_400() -> dict:
    return rest_error("invalidRequest", "Invalid token: The token is not valid", "REST-2102", "IA.TOKEN_IS_INVALID")


def internal_error() -> dict:
    return rest_error("operationFailed", "Internal error, contact support quoting the supportId", "REST-1001",
                      "IA.INTERNAL_ERROR")


# applications as Sage names them in its UI and messages (the first path segment of an object)
MODULE_NAMES = {"accounts-payable": "Accounts Payable", "accounts-receivable": "Accounts Receivable",
                "cash-management": "Cash Management", "company-config": "Company", "contracts": "Contracts",
                "fixed-assets": "Fixed Assets Management", "general-ledger": "General Ledger",
                "inventory-control": "Inventory Control", "projects": "Projects", "tax": "Taxes",
                "time": "Time", "platform-apps": "Platform Services"}


def permission_denied(path: str, operation: str = "READ") -> dict:
    """HTTP 403 body for an object the API user has no permission for (see ``server.Handler._denied``).

    REST envelope as every REST error; the message and the legacy detail code follow the XML API's recorded
    ``PL04000005`` "You do not have permission for API operation READ_BY_QUERY on objects of type arinvoice"
    (Sage's error guide: details may carry legacy codes such as ``BL01001973``). The top-level ``code``
    (``permissionDenied``), ``errorId`` and ``messageId`` are the sandbox's choice: UNCONFIRMED (no recorded REST
    403 found); clients should classify by the HTTP status."""
    msg = f"You do not have permission for API operation {operation} on objects of type {path}"
    return rest_error("permissionDenied", msg, "REST-1016", "IA.PERMISSION_DENIED_FOR_OPERATION",
                      [{"code": "PL04000005", "message": msg, "errorId": "PL04000005", "target": path,
                        "additionalInfo": _info("IA.PERMISSION_DENIED_FOR_OPERATION",
                                                {"OPERATION": operation, "OBJECT": path})}],
                      placeholders={"OPERATION": operation, "OBJECT": path})


def not_subscribed(path: str) -> dict:
    """HTTP 400 body for an object of a module the company does not subscribe to (``server.Handler._denied``);
    the text follows the XML API's recorded "Account allocation module is not subscribed". Status, ``errorId``
    and ``messageId`` are the sandbox's choice: UNCONFIRMED (no recorded REST answer found)."""
    app = path.split("/", 1)[0]
    module = MODULE_NAMES.get(app, app)
    msg = f"{module} module is not subscribed"
    return rest_error("invalidRequest", msg, "REST-1047", "IA.MODULE_NOT_SUBSCRIBED",
                      [detail(f"{msg}: {path} cannot be used by this company", path, "REST-1047",
                              "IA.MODULE_NOT_SUBSCRIBED", {"MODULE": module, "OBJECT": path})],
                      placeholders={"MODULE": module})
