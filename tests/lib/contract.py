"""Check live answers and events against the JSON Schemas of proto/schemas,
with the validator of tests/unit/check_proto.py (stdlib only)."""
import importlib.util
import os

from stack import SRC

_spec = importlib.util.spec_from_file_location(
    "check_proto", os.path.join(SRC, "tests", "unit", "check_proto.py"))
_cp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cp)
_store = _cp.Store(os.path.join(SRC, "proto", "schemas"))


def errors(value, schema_file):
    """The validation errors of value against proto/schemas/<schema_file>."""
    return _cp.validate(value, _store.docs[schema_file], _store, schema_file, False)


def check(value, schema_file):
    errs = errors(value, schema_file)
    assert not errs, f"{schema_file}: {errs[:5]}"
