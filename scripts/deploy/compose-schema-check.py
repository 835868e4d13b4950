"""Checks Compose files against the Compose Specification's JSON schema.

usage: python compose-schema-check.py <compose-spec.json> <compose file>...

The schema is the one compose-go (the loader of `docker compose`) validates with
(https://github.com/compose-spec/compose-spec/blob/main/schema/compose-spec.json); it rejects
unknown keys and wrong types. Prints one line per error and exits 1 if any file has one.
"""

import json
import sys

import jsonschema
import yaml


def errors_of(schema: dict, path: str) -> list[str]:
    with open(path, encoding="utf-8") as file:
        document = yaml.safe_load(file)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [
        f"{path}: {'.'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        schema = json.load(file)
    jsonschema.Draft202012Validator.check_schema(schema)
    failures = [line for path in argv[2:] for line in errors_of(schema, path)]
    for line in failures:
        print(f"ERROR {line}")
    for path in argv[2:]:
        if not any(line.startswith(f"{path}:") for line in failures):
            print(f"INFO {path} is valid against the Compose Specification schema")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
