"""Validates custom resources against the CustomResourceDefinitions that define them.

usage: custom-resource-check.py --crds DIR --core-out FILE MANIFEST...

Every object in the MANIFEST files (multi-document YAML) whose apiVersion and kind one of the
CRDs in DIR defines is validated against that version's openAPIV3Schema, strictly: a field the
schema does not list fails, as the API server's strict field validation
(`kubectl apply --validate=strict`) would, unless the schema keeps unknown fields
(x-kubernetes-preserve-unknown-fields). Every other object is written to FILE, for the
Kubernetes schema check. Exits 1 if any custom resource is invalid, or if an object's group is
one of the CRDs' groups but no CRD defines its version and kind (a typo in apiVersion).

Structural schemas: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
"""

import argparse
import copy
import pathlib
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """YAML 1.1 reads a bare `=` as the `value` type; in the CRDs it is just the string (an enum value)."""


Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def strict(schema):
    """The schema with additionalProperties false wherever it lists properties and keeps no unknown fields."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("x-kubernetes-int-or-string"):
                node.pop("type", None)
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
            if node.get("nullable"):
                kind = node.get("type")
                if isinstance(kind, str):
                    node["type"] = [kind, "null"]
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def load_crds(folder):
    """{(group/version, kind): schema} for every served version of every CRD in the folder."""
    schemas, groups = {}, set()
    for path in sorted(pathlib.Path(folder).glob("*.yaml")):
        for crd in yaml.load_all(path.read_text(), Loader=Loader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            groups.add(spec["group"])
            for version in spec["versions"]:
                schema = version["schema"]["openAPIV3Schema"]
                # apiVersion, kind and metadata are checked by the API server itself.
                schema.setdefault("properties", {}).update(
                    {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
                )
                schemas[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = strict(schema)
    return schemas, groups


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crds", required=True)
    parser.add_argument("--core-out", required=True)
    parser.add_argument("manifests", nargs="+")
    args = parser.parse_args()

    schemas, groups = load_crds(args.crds)
    core, failures, checked = [], 0, 0
    for manifest in args.manifests:
        for obj in yaml.load_all(pathlib.Path(manifest).read_text(), Loader=Loader):
            if not obj:
                continue
            api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
            name = f"{manifest}: {kind}/{obj.get('metadata', {}).get('name', '?')}"
            schema = schemas.get((api_version, kind))
            if schema is None:
                if api_version.split("/")[0] in groups:
                    print(f"ERROR {name}: no CustomResourceDefinition defines {api_version} {kind}")
                    failures += 1
                else:
                    core.append(obj)
                continue
            checked += 1
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
            for error in errors:
                print(f"ERROR {name}: {'.'.join(str(p) for p in error.path) or '(root)'}: {error.message}")
            failures += len(errors)
    pathlib.Path(args.core_out).write_text(yaml.safe_dump_all(core, sort_keys=False))
    print(f"custom resources: {checked} checked against {len(schemas)} CRD versions, {failures} error(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
