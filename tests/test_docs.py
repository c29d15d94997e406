"""Docs that cannot rot: the CLI reference is regenerated from --help and must match."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import msgspec

from remit.api import Endpoint, openapi
from remit.api._problems import KINDS
from remit.cli._docs import reference
from remit.connectors import all_endpoints, load_connectors
from remit.store import Role

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current() -> None:
    committed = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert committed == reference(), "docs/cli.md is out of date: run `make docs`"


def test_openapi_document_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text("utf-8"))
    assert committed == openapi(all_endpoints()), (
        "docs/openapi.json is out of date: run `make docs`"
    )


class _Indented(msgspec.Struct):
    """A summary line that runs on
        with a deeper second line,
    and a third at the body's margin.

    A second paragraph.
    """


def test_openapi_descriptions_are_cleaned_by_remit_not_by_the_msgspec_release() -> None:
    # msgspec 0.18 kept the second line's indentation and 0.23 strips it: the document must not
    # change with the release installed, so remit cleans docstrings itself.
    endpoint = Endpoint("POST", "/x", _no_handler, "x", None, body=_Indented)
    described = openapi([endpoint])["components"]["schemas"]["_Indented"]["description"]
    assert described == inspect.cleandoc(_Indented.__doc__ or "")
    assert "\n    with a deeper second line" in described


async def _no_handler(call: object) -> None:
    raise AssertionError("never called")


def test_every_endpoint_problem_and_role_is_in_the_api_guide() -> None:
    guide = (ROOT / "docs" / "api.md").read_text("utf-8")
    for endpoint in all_endpoints():
        name = f"`{endpoint.method} {endpoint.path}`"
        if endpoint.path.startswith("/v1/connectors/"):  # in the connector's own guide
            connector = endpoint.path.split("/")[3]
            own = (ROOT / "docs" / "connectors" / f"{connector}.md").read_text("utf-8")
            assert name in own, f"{name} is not in docs/connectors/{connector}.md"
        else:
            assert name in guide, name
    for kind in KINDS:
        assert f"`/problems/{kind}`" in guide, kind
    for role in Role:
        assert f"`{role.value}`" in guide, role


def test_every_command_has_help_text() -> None:
    text = reference()
    for block in text.split("## `")[1:]:
        name = block.split("`", 1)[0]
        body = block.split("```text", 1)[1]
        lines = [line for line in body.splitlines() if line.strip()]
        assert len(lines) >= 3, f"{name} has no description in its --help"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "make run" in readme
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_every_connector_has_an_operators_guide_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in load_connectors():
        guide = ROOT / "docs" / "connectors" / f"{name}.md"
        assert guide.exists(), f"connector {name} has no guide at docs/connectors/{name}.md"
        assert f"docs/connectors/{name}.md" in readme, f"README does not link the {name} guide"


def test_the_design_lives_in_the_repository() -> None:
    from test_architecture import LAYERS

    design = (ROOT / "docs" / "design.md").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "(docs/design.md)" in readme
    invariants = design.split("## The six invariants", 1)[1].split("\n## ", 1)[0]
    assert [n for n in range(1, 10) if f"\n{n}. **" in invariants] == [1, 2, 3, 4, 5, 6]
    for layer in LAYERS:
        assert f"`remit.{layer}`" in design, f"the layer {layer} is not in docs/design.md"
    for section in ("## The story", "## Words", "## Layers", "## Deployment shapes"):
        assert section in design, section
    # Nothing points outside the repository for the design any more.
    texts = [readme, *(p.read_text("utf-8") for p in (ROOT / "docs").rglob("*.md"))]
    texts += [p.read_text("utf-8") for p in (ROOT / "src").rglob("*.py")]
    assert not [t for t in texts if "DESIGN.md" in t or "shared/" in t]


def test_the_allowed_values_in_the_api_guide_are_current() -> None:
    from remit.cli._allowed import with_allowed_values

    guide = (ROOT / "docs" / "api.md").read_text("utf-8")
    assert guide == with_allowed_values(guide), "docs/api.md's allowed values: run `make docs`"


def test_every_enumerated_field_of_the_api_is_in_the_guide() -> None:
    # Independent of the generator: every enum anywhere in the OpenAPI document, value by value.
    guide = (ROOT / "docs" / "api.md").read_text("utf-8")
    table = guide.split("<!-- allowed values", 1)[1].split("<!-- end of allowed values", 1)[0]
    found: list[list[str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "enum" in node:
                found.append(node["enum"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(openapi(all_endpoints()))
    assert found
    for values in found:
        if values == ["ok"]:  # /healthz's constant answer
            continue
        assert any(all(f"`{v}`" in row for v in values) for row in table.splitlines()), values


def test_the_example_demands_use_only_allowed_values() -> None:
    from remit.api import OrderIn, order_in

    examples = sorted((ROOT / "docs" / "examples").glob("demand-*.json"))
    assert examples
    for example in examples:
        body = msgspec.json.decode(example.read_bytes(), type=OrderIn)
        kwargs, _ = order_in(body, order_id="example", actor="intake")  # checks the targets too
        assert kwargs["targets"], example
