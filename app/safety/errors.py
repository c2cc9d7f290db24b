"""Errors raised while checking a function call the model made against our tool schemas.

Both are 422s whose details are [{"field": dotted path or "" for the root, "message": ...}], so the
tool-call loop can hand them back to the model verbatim and let it retry.
"""

from __future__ import annotations

from app.errors import ValidationFailed


class UnknownTool(ValidationFailed):
    code = "unknown_tool"
    message = "the model called a tool that does not exist"


class InvalidToolArguments(ValidationFailed):
    code = "invalid_tool_arguments"
    message = "the tool arguments do not match the tool's schema"
