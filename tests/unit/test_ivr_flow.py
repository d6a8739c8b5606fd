"""Loading and validating IVR flow files: the shipped flows load, broken ones say file and node."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivr.flow import (
    DEFAULT_FLOW_ID,
    DEFAULT_FLOWS_DIR,
    FlowValidationError,
    load_flow,
    load_flows,
    parse_flow,
)
from ivr.flow.schema import BusinessHoursNode, CallbackNode, EnqueueNode, MenuNode, RecordNode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ivr"
SHIPPED_FLOWS = sorted(DEFAULT_FLOWS_DIR.glob("*.yaml"))


def _issue(error: pytest.ExceptionInfo[FlowValidationError], node: str | None) -> str:
    messages = [str(issue) for issue in error.value.issues if issue.node == node]
    assert messages, f"no issue for node {node!r} in:\n{error.value}"
    return "\n".join(messages)


@pytest.mark.parametrize("path", SHIPPED_FLOWS, ids=lambda path: path.name)
def test_every_shipped_flow_loads(path: Path) -> None:
    flow = load_flow(path)

    assert flow.start in flow.nodes


def test_load_flows_keys_the_default_flow_by_id() -> None:
    flows = load_flows()

    assert DEFAULT_FLOW_ID in flows
    assert len(flows) == len(SHIPPED_FLOWS)


def test_default_flow_main_menu_offers_the_five_services_and_falls_back_to_an_official() -> None:
    flow = load_flows()[DEFAULT_FLOW_ID]
    menu = flow.nodes["menu_principal"]

    assert isinstance(menu, MenuNode)
    assert set(menu.options) == {"0", "1", "2", "3", "4"}
    assert menu.retries == 3
    fallback = flow.nodes[menu.fallback]
    assert fallback.targets() == {"next": "horario_cola"}  # the queue's hours, then the queue
    hours = flow.nodes["horario_cola"]
    assert isinstance(hours, BusinessHoursNode) and hours.queue == "atencion_general"
    assert hours.targets()["open"] == "cola_atencion"
    queue = flow.nodes["cola_atencion"]
    assert isinstance(queue, EnqueueNode)
    assert queue.queue == "atencion_general"
    assert queue.callback_accepted is not None
    assert isinstance(flow.nodes[queue.callback_accepted], CallbackNode)


def test_default_flow_corruption_report_can_be_anonymous() -> None:
    flow = load_flows()[DEFAULT_FLOW_ID]
    record = flow.nodes["grabar_corrupcion"]

    assert isinstance(record, RecordNode)
    assert record.pqrd_type == "denuncia"
    assert record.anonymous == "{anonimo}"


@pytest.mark.parametrize(
    ("fixture", "node", "fragment"),
    [
        ("unknown_target.yaml", "menu_principal", "option '3' points to unknown node 'estado'"),
        ("missing_start.yaml", "inicio", "start node is not defined"),
        ("unreachable_node.yaml", "info_predial", "unreachable from the start node 'bienvenida'"),
        ("bad_menu_digit.yaml", "menu_principal", "option '12' is not a single keypad key"),
        ("bad_collect_digits.yaml", "pedir_radicado", "min_digits 8 exceeds max_digits 4"),
        ("silent_cycle.yaml", "aviso", "aviso -> repetir_aviso -> aviso"),
        ("unknown_field.yaml", "menu_principal", "field 'promt': Extra inputs are not permitted"),
        ("unknown_type.yaml", "llamar", "Input tag 'dial'"),
        ("bad_template.yaml", "leer_radicado", "bad placeholder {ticket.radicado}"),
        ("unknown_pqrd_type.yaml", "grabar", "unknown PQRD type 'tutela'"),
    ],
)
def test_broken_flow_error_names_file_and_node(fixture: str, node: str, fragment: str) -> None:
    with pytest.raises(FlowValidationError) as error:
        load_flow(FIXTURES / fixture)

    assert f"{fixture}: node '{node}': " in _issue(error, node)
    assert fragment in _issue(error, node)


def test_every_broken_fixture_is_rejected_when_loading_the_directory() -> None:
    fixtures = {path.name for path in FIXTURES.glob("*.yaml")}

    with pytest.raises(FlowValidationError) as error:
        load_flows(FIXTURES)

    assert {issue.source for issue in error.value.issues} == fixtures


def test_unknown_target_message_reads_as_documented() -> None:
    with pytest.raises(FlowValidationError) as error:
        load_flow(FIXTURES / "unknown_target.yaml")

    assert str(error.value) == (
        "unknown_target.yaml: node 'menu_principal': option '3' points to unknown node 'estado'"
    )


def test_two_files_with_the_same_flow_id_are_rejected(tmp_path: Path) -> None:
    body = "id: linea195\nstart: fin\nnodes:\n  fin:\n    type: hangup\n"
    (tmp_path / "a.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(body, encoding="utf-8")

    with pytest.raises(FlowValidationError, match=r"b\.yaml: flow id 'linea195' is used twice"):
        load_flows(tmp_path)


def test_flow_id_defaults_to_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "despacho.yaml").write_text("start: fin\nnodes:\n  fin: {type: hangup}\n")

    assert list(load_flows(tmp_path)) == ["despacho"]


def test_invalid_yaml_names_the_file() -> None:
    with pytest.raises(FlowValidationError, match=r"^roto\.yaml: is not valid YAML"):
        parse_flow("start: [a\nnodes: {", source="roto.yaml")


def test_a_document_without_nodes_is_rejected() -> None:
    with pytest.raises(FlowValidationError, match=r"vacio\.yaml: must be a mapping with a `nodes` map"):
        parse_flow("start: inicio\n", source="vacio.yaml")


def test_missing_required_field_names_node_and_field() -> None:
    text = "start: saludo\nnodes:\n  saludo: {type: say, text: Hola.}\n"

    with pytest.raises(FlowValidationError, match=r"x\.yaml: node 'saludo': field 'next': Field"):
        parse_flow(text, source="x.yaml")


def test_menu_options_accept_short_and_long_forms() -> None:
    text = """
start: menu
nodes:
  menu:
    type: menu
    prompt: Marque 1 o numeral.
    options:
      1: fin
      "#": {next: fin, set: {tipo: queja}}
    fallback: fin
  fin: {type: hangup}
"""
    menu = parse_flow(text, source="menu.yaml").nodes["menu"]

    assert isinstance(menu, MenuNode)
    assert menu.options["1"].next == "fin"
    assert menu.options["#"].assign == {"tipo": "queja"}


@pytest.mark.parametrize(
    ("node_yaml", "fragment"),
    [
        ("{type: lookup, operation: radicado_status, input: r, found: fin, not_found: fin, "
         "retries: 2}", "retries and fallback go together"),
        ("{type: enqueue, queue: atencion_general, callback_after: 60}",
         "callback_after and callback_accepted go together"),
        ("{type: transfer, queue: atencion_general, official: '7'}", "exactly one of queue or official"),
        ("{type: say, text: 'Hola {nombre!r}', next: fin}", "bad placeholder"),
        ("{type: say, text: 'Hola {nombre', next: fin}", "malformed template"),
        ("{type: callback, queue: q, prompt: p, confirm_prompt: c, confirm_key: '1', "
         "change_key: '1', next: fin, fallback: fin}", "confirm_key and change_key must differ"),
        ("{type: record, prompt: p, anonymous: 'si', next: fin, fallback: fin}",
         "anonymous must be true, false or a template"),
    ],
)  # fmt: skip
def test_node_level_rules_are_enforced(node_yaml: str, fragment: str) -> None:
    text = f"start: nodo\nnodes:\n  nodo: {node_yaml}\n  fin: {{type: hangup}}\n"

    with pytest.raises(FlowValidationError) as error:
        parse_flow(text, source="reglas.yaml")

    assert fragment in _issue(error, "nodo")


def test_a_loop_through_a_menu_is_not_a_silent_cycle() -> None:
    text = """
start: aviso
nodes:
  aviso: {type: say, text: Aviso., next: menu}
  menu: {type: menu, prompt: Marque 1., options: {1: aviso}, fallback: fin}
  fin: {type: hangup}
"""
    assert parse_flow(text, source="ok.yaml").start == "aviso"


def test_the_ivr_core_imports_no_io_library() -> None:
    forbidden = ["aiohttp", "socketio", "sqlalchemy", "redis", "rq", "twilio", "panoramisk"]
    probe = f"import sys, ivr.flow; print(sorted(m for m in {forbidden!r} if m in sys.modules))"

    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout

    assert output.strip() == "[]"
