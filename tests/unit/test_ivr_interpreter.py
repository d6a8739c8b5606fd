"""Walks through the 195 flow with the pure interpreter, as an adapter would drive it."""

from __future__ import annotations

from datetime import date

import pytest

from ivr.flow import (
    ACTIONS_JSON,
    DEFAULT_FLOW_ID,
    Action,
    AgentReady,
    CallbackAccepted,
    CallerHangup,
    CallStarted,
    CheckHours,
    Digits,
    Enqueue,
    Event,
    FilePqrd,
    Flow,
    FlowState,
    Gather,
    Hangup,
    HoursResult,
    Lookup,
    LookupResult,
    NoInput,
    OfferCallback,
    Play,
    PqrdFiled,
    QueueUpdate,
    Record,
    RecordingDone,
    Say,
    SayDigits,
    ScheduleCallback,
    Transfer,
    Transition,
    UnexpectedEvent,
    advance,
    expected_events,
    load_flows,
    new_call,
    parse_flow,
)

CALLER = "+573001234567"
RECORDING = "https://api.twilio.com/recordings/RE123"


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flows()[DEFAULT_FLOW_ID]


class Call:
    """Drives one call the way an adapter does: each event tagged with the step it answers."""

    def __init__(self, flow: Flow, caller: str | None = CALLER) -> None:
        self.flow = flow
        self.state = new_call(flow)
        self.transitions: list[Transition] = []
        self.send(CallStarted(caller))

    def send(self, event: Event) -> tuple[Action, ...]:
        result = advance(self.flow, self.state, event, step=self.state.step)
        self.state = result.state
        self.transitions += result.transitions
        return result.actions

    def press(self, keys: str) -> tuple[Action, ...]:
        return self.send(Digits(keys))

    @property
    def node(self) -> str:
        return self.state.node


def in_hours(flow: Flow, caller: str | None = CALLER) -> Call:
    call = Call(flow, caller)
    call.send(HoursResult(open=True))
    return call


def texts(actions: tuple[Action, ...]) -> list[str]:
    """Every sentence the caller hears, including gather prompts."""
    heard = []
    for action in actions:
        if isinstance(action, Gather | OfferCallback | Record):
            heard += texts(tuple(action.prompt))
        elif isinstance(action, Say):
            heard.append(action.text)
        elif isinstance(action, SayDigits):
            heard.append(" ".join(action.digits))
    return heard


def test_call_start_welcomes_then_asks_the_host_for_business_hours(flow: Flow) -> None:
    state = new_call(flow)

    result = advance(flow, state, CallStarted(CALLER))

    assert result.actions == (
        Say("Gracias por llamar a la Línea 195 de la Alcaldía de Pasto."),
        CheckHours("linea195"),
    )
    assert result.state.step == 1
    assert result.state.variables["caller"] == CALLER


def test_open_hours_lead_to_the_main_menu_as_a_one_key_gather(flow: Flow) -> None:
    call = Call(flow)

    actions = call.send(HoursResult(open=True))

    assert call.node == "menu_principal"
    [gather] = actions
    assert isinstance(gather, Gather)
    assert (gather.min_digits, gather.max_digits, gather.finish_on_key) == (1, 1, "")
    assert "Para hablar con un funcionario, marque 0." in texts(actions)[0]


def test_wrong_key_is_rejected_and_the_menu_repeated_then_the_right_key_works(flow: Flow) -> None:
    call = in_hours(flow)

    wrong = call.press("7")
    assert call.node == "menu_principal"
    assert wrong[0] == Say("La opción marcada no es válida.")
    assert isinstance(wrong[1], Gather)
    assert call.state.retries == {"menu_principal": 1}

    right = call.press("1")
    assert call.node == "menu_tramites"  # generated from the catalogue: the host answers a page
    assert right == (Lookup("tramites_menu", {"pagina": "1", "por_pagina": "5"}),)
    assert call.state.retries == {}


def test_three_silences_at_the_main_menu_fall_back_to_an_official(flow: Flow) -> None:
    call = in_hours(flow)

    first = call.send(NoInput())
    call.send(NoInput())
    last = call.send(NoInput())

    assert first[0] == Say("No recibimos ninguna opción.")
    assert call.node == "horario_cola"
    assert last[0] == Say("Le comunicaremos con un funcionario.")
    assert last[-1] == CheckHours("linea195", "atencion_general")  # the queue's own hours first
    queued = call.send(HoursResult(open=True))
    assert call.node == "cola_atencion"
    assert Enqueue("atencion_general", 45, "musica_espera", 90) in queued


def test_a_closed_queue_says_when_it_opens_and_offers_a_verbal_pqrd(flow: Flow) -> None:
    call = in_hours(flow)
    asked = call.press("0")
    assert asked == (CheckHours("linea195", "atencion_general"),)

    closed = call.send(HoursResult(open=False, next_open="mañana a las 7:00 a. m."))

    heard = " ".join(texts(closed))
    assert "abre mañana a las 7:00 a. m." in heard and "marque 1" in heard
    assert not any(isinstance(action, Enqueue) for action in closed)
    assert call.node == "menu_cola_cerrada"
    call.press("1")
    assert call.node == "tipo_pqrd"


def test_a_valid_choice_resets_the_failure_count(flow: Flow) -> None:
    call = in_hours(flow)
    call.send(NoInput())
    call.send(NoInput())
    call.press("1")
    page = {"catalogo_opciones": "impuesto-predial", "catalogo_menu": "Para Predial, marque 1."}
    call.send(LookupResult(True, page))
    call.press("9")  # back to the main menu

    call.send(NoInput())
    call.send(NoInput())

    assert call.node == "menu_principal"


def test_tramites_menu_reads_the_generated_page_then_the_chosen_summary(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("1")
    page = {"catalogo_opciones": "licencia-de-conduccion sisben", "catalogo_mas": "no"}
    page["catalogo_menu"] = "Para Licencia de conducción, marque 1. Para SISBÉN, marque 2."
    [gather] = call.send(LookupResult(True, page))
    assert isinstance(gather, Gather)
    assert "Para Licencia de conducción, marque 1. Para SISBÉN, marque 2." in texts((gather,))[0]

    assert call.press("2") == (Lookup("tramite_resumen", {"tramite": "sisben"}),)
    actions = call.send(LookupResult(True, {"tramite_resumen": "SISBÉN. Por confirmar."}))
    assert actions[0] == Say("SISBÉN. Por confirmar.")
    assert call.node == "opciones_tramite"


def test_radicado_found_reads_status_due_date_and_digits(flow: Flow) -> None:
    call = in_hours(flow)
    collect = call.press("2")
    [gather] = collect
    assert isinstance(gather, Gather)
    assert (gather.min_digits, gather.max_digits, gather.finish_on_key) == (4, 20, "#")

    lookup = call.press("2026000123#")
    assert lookup == (Lookup("radicado_status", {"radicado_consulta": "2026000123"}),)

    status = {"estado": "en trámite", "fecha_vencimiento": "3 de diciembre de 2026"}
    actions = call.send(LookupResult(found=True, variables=status))

    assert actions == (
        Say("El radicado número"),
        SayDigits("2026000123"),
        Say("se encuentra en trámite. La fecha límite de respuesta es el 3 de diciembre de 2026."),
        CheckHours("linea195"),
    )
    call.send(HoursResult(open=True))
    assert call.node == "menu_principal"


def test_radicado_not_found_lets_the_caller_retry_then_goes_back(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("2")
    call.press("1234#")

    retry = call.send(LookupResult(found=False))
    assert retry[0] == Say("No encontramos ese número de radicado. Intentemos de nuevo.")
    assert call.node == "pedir_radicado"

    call.press("4321#")
    final = call.send(LookupResult(found=False))
    assert isinstance(final[0], Say)
    assert "No fue posible encontrar el radicado" in final[0].text
    assert final[-1] == CheckHours("linea195")
    assert call.node == "regreso"
    assert call.state.retries == {}


def test_a_too_short_radicado_is_invalid(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("2")

    actions = call.press("12#")

    assert call.node == "pedir_radicado"
    assert actions[0] == Say("El número digitado no es válido.")


def test_verbal_pqrd_is_recorded_filed_and_its_radicado_read_back(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("3")

    [record] = call.press("2")  # queja
    assert isinstance(record, Record)
    assert (record.pqrd_type, record.anonymous, record.max_seconds) == ("queja", False, 180)

    filing = call.send(RecordingDone(RECORDING, duration_seconds=42))
    assert filing == (FilePqrd("queja", False, RECORDING, 42, CALLER, None),)

    actions = call.send(PqrdFiled("2026000124", filed_on=date(2026, 11, 23)))
    assert texts(actions)[:3] == [
        "Su solicitud quedó radicada con el número",
        "2 0 2 6 0 0 0 1 2 4",
        "del 23 de noviembre de 2026. Guarde este número para consultar el estado de su solicitud.",
    ]
    assert call.node == "repetir_radicado"

    again = call.press("1")
    assert SayDigits("2026000124") in again


def test_a_silent_recording_is_asked_again_then_falls_back(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("3")
    call.press("1")

    retry = call.send(RecordingDone(RECORDING, duration_seconds=0))
    assert retry[0] == Say("No escuchamos su mensaje.")
    assert isinstance(retry[1], Record)

    gone = call.send(NoInput())
    assert gone == (CheckHours("linea195"),)
    assert call.node == "regreso"


def test_anonymous_corruption_report_never_hands_over_the_caller_number(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("4")

    [record] = call.press("1")  # anonymous
    assert isinstance(record, Record)
    assert (record.pqrd_type, record.anonymous) == ("denuncia", True)

    [filing] = call.send(RecordingDone(RECORDING, duration_seconds=95))
    assert filing == FilePqrd("denuncia", True, RECORDING, 95, None, "Denuncia de corrupción")

    actions = call.send(PqrdFiled("2026000125"))
    assert SayDigits("2026000125") in actions


def test_named_corruption_report_keeps_the_caller_number(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("4")
    call.press("2")

    [filing] = call.send(RecordingDone(RECORDING, duration_seconds=30))

    assert isinstance(filing, FilePqrd)
    assert (filing.anonymous, filing.caller) == (False, CALLER)


def queued(flow: Flow, caller: str | None = CALLER) -> Call:
    call = in_hours(flow, caller)
    call.press("0")
    call.send(HoursResult(open=True))  # the queue's hours
    return call


def test_queue_updates_announce_position_and_offer_a_callback_once(flow: Flow) -> None:
    call = queued(flow)

    early = call.send(QueueUpdate(position=3, eta_seconds=100, waited_seconds=45))
    assert early == (
        Say("Su turno en la fila es el 3. El tiempo estimado de espera es de 2 minutos."),
        Play("musica_espera"),
    )

    offered = call.send(QueueUpdate(position=2, eta_seconds=50, waited_seconds=90))
    assert offered[0] == Say("Su turno en la fila es el 2. El tiempo estimado de espera es de un minuto.")
    assert isinstance(offered[1], OfferCallback)
    assert offered[1].accept_key == "1"
    assert offered[2] == Play("musica_espera")

    later = call.send(QueueUpdate(position=1, eta_seconds=20, waited_seconds=135))
    assert not any(isinstance(action, OfferCallback) for action in later)


def test_without_waited_seconds_the_wait_is_estimated_from_announcements(flow: Flow) -> None:
    call = queued(flow)

    first = call.send(QueueUpdate(position=5, eta_seconds=300))
    second = call.send(QueueUpdate(position=4, eta_seconds=240))

    assert not any(isinstance(action, OfferCallback) for action in first)
    assert any(isinstance(action, OfferCallback) for action in second)


def test_accepted_callback_confirms_the_number_and_keeps_the_turn(flow: Flow) -> None:
    call = queued(flow)
    call.send(QueueUpdate(position=4, eta_seconds=240, waited_seconds=120))

    [confirm] = call.send(CallbackAccepted())
    assert call.node == "confirmar_devolucion"
    assert isinstance(confirm, Gather)
    assert texts((confirm,)) == [
        "Le devolveremos la llamada al número",
        "3 0 0 1 2 3 4 5 6 7",
        "Si es correcto, marque 1. Para indicar otro número, marque 2.",
    ]

    done = call.press("1")
    assert done[0] == ScheduleCallback("atencion_general", CALLER)
    assert done[-1] == Hangup()
    assert call.state.finished


def test_callback_to_another_number_is_collected_and_confirmed(flow: Flow) -> None:
    call = queued(flow)
    call.send(QueueUpdate(position=4, eta_seconds=240, waited_seconds=120))
    call.press("1")  # the offer's key works like CallbackAccepted
    call.press("2")
    assert call.node == "otro_numero"

    [confirm] = call.press("6027333000#")
    assert "6 0 2 7 3 3 3 0 0 0" in texts((confirm,))

    done = call.press("1")
    assert done[0] == ScheduleCallback("atencion_general", "+576027333000")


def test_callback_from_a_withheld_number_asks_for_a_number_first(flow: Flow) -> None:
    call = queued(flow, caller=None)
    call.send(QueueUpdate(position=4, eta_seconds=240, waited_seconds=120))

    call.send(CallbackAccepted())

    assert call.node == "otro_numero"


def test_an_official_taking_the_call_transfers_it(flow: Flow) -> None:
    call = queued(flow)

    actions = call.send(AgentReady(official_id="17"))

    assert actions == (Say("Le comunicamos con un funcionario."), Transfer("official", "17"))
    assert call.state.finished
    assert call.transitions[-1] == Transition(call.state.step, "cola_atencion", None, "AgentReady")


def test_out_of_hours_offers_status_and_hangs_up_afterwards(flow: Flow) -> None:
    call = Call(flow)

    closed = call.send(HoursResult(open=False))
    assert "fuera del horario de atención" in texts(closed)[0]
    assert "Para terminar, marque 9." in texts(closed)[1]

    call.press("2")
    call.press("2026000123#")
    call.send(LookupResult(True, {"estado": "respondido", "fecha_vencimiento": "hoy"}))
    goodbye = call.send(HoursResult(open=False))

    assert goodbye == (
        Say("Gracias por comunicarse con la Alcaldía de Pasto. Hasta pronto."),
        Hangup(),
    )
    assert call.state.finished


def test_out_of_hours_a_pqrd_can_still_be_filed_by_voice(flow: Flow) -> None:
    call = Call(flow)
    call.send(HoursResult(open=False))
    call.press("1")

    [record] = call.press("1")

    assert isinstance(record, Record)
    assert record.pqrd_type == "peticion"


def test_out_of_hours_silence_says_goodbye(flow: Flow) -> None:
    call = Call(flow)
    call.send(HoursResult(open=False))
    for _ in range(3):
        actions = call.send(NoInput())

    assert actions[-1] == Hangup()


def test_state_survives_a_json_round_trip_mid_call(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("2")
    call.press("99")  # one failed attempt, so counters are part of the state

    restored = FlowState.from_json(call.state.to_json())
    assert restored == call.state

    result = advance(flow, restored, Digits("2026000123#"), step=restored.step)
    assert result.actions == (Lookup("radicado_status", {"radicado_consulta": "2026000123"}),)
    assert result.state.node == "consultar_radicado"


def test_a_replayed_event_for_an_old_step_changes_nothing(flow: Flow) -> None:
    call = in_hours(flow)
    old_step = call.state.step
    first = call.press("1")
    state_after = call.state

    replay = advance(flow, state_after, Digits("0"), step=old_step)

    assert replay.replayed
    assert replay.state is state_after
    assert replay.actions == first
    assert replay.transitions == ()


def test_an_event_for_a_future_step_is_rejected(flow: Flow) -> None:
    call = in_hours(flow)

    with pytest.raises(UnexpectedEvent, match="step"):
        advance(flow, call.state, Digits("1"), step=call.state.step + 1)


def test_an_event_the_node_cannot_take_is_rejected(flow: Flow) -> None:
    call = in_hours(flow)

    with pytest.raises(UnexpectedEvent, match="node 'menu_principal' \\(menu\\) cannot take"):
        call.send(LookupResult(found=True))


def test_the_first_event_must_start_the_call(flow: Flow) -> None:
    with pytest.raises(UnexpectedEvent, match="starts with CallStarted"):
        advance(flow, new_call(flow), Digits("1"))


def test_a_state_from_another_flow_is_rejected(flow: Flow) -> None:
    other = FlowState(flow_id="despacho", node="inicio")

    with pytest.raises(UnexpectedEvent, match="runs flow 'despacho'"):
        advance(flow, other, NoInput())


def test_caller_hangup_ends_the_call_anywhere(flow: Flow) -> None:
    call = in_hours(flow)
    call.press("2")

    assert call.send(CallerHangup()) == ()
    assert call.state.finished
    assert call.transitions[-1].to_node is None
    assert call.send(CallerHangup()) == ()  # a second hangup report is harmless
    with pytest.raises(UnexpectedEvent, match="already ended"):
        call.send(Digits("1"))


def test_transitions_record_from_to_and_cause(flow: Flow) -> None:
    call = in_hours(flow)

    call.press("0")
    call.send(HoursResult(open=True))

    assert call.transitions == [
        Transition(1, None, "bienvenida", "CallStarted"),
        Transition(1, "bienvenida", "verificar_horario", "next"),
        Transition(2, "verificar_horario", "menu_principal", "HoursResult"),
        Transition(3, "menu_principal", "horario_cola", "Digits"),
        Transition(4, "horario_cola", "cola_atencion", "HoursResult"),
    ]


def test_expected_events_tell_the_adapter_what_the_call_waits_for(flow: Flow) -> None:
    call = Call(flow)
    assert expected_events(flow, new_call(flow)) == (CallStarted, CallerHangup)
    assert expected_events(flow, call.state) == (HoursResult, CallerHangup)

    call.send(HoursResult(open=True))
    call.press("3")
    call.press("1")
    assert expected_events(flow, call.state) == (RecordingDone, NoInput, CallerHangup)

    call.send(RecordingDone(RECORDING, 10))
    assert expected_events(flow, call.state) == (PqrdFiled, CallerHangup)


def test_advance_is_pure(flow: Flow) -> None:
    state = in_hours(flow).state
    before = state.to_json()

    first = advance(flow, state, Digits("9"))
    second = advance(flow, state, Digits("9"))

    assert state.to_json() == before
    assert first == second


def test_actions_serialize_to_json_and_back(flow: Flow) -> None:
    call = queued(flow)
    actions = call.send(QueueUpdate(position=1, eta_seconds=30, waited_seconds=200))

    assert ACTIONS_JSON.validate_json(ACTIONS_JSON.dump_json(actions)) == actions


def test_transfer_node_hands_the_call_to_a_queue_and_hash_can_be_an_option() -> None:
    flow = parse_flow(
        """
start: menu
nodes:
  menu:
    type: menu
    prompt: Para el Despacho del Alcalde, marque numeral.
    options: {"#": despacho}
    fallback: despacho
  despacho:
    type: transfer
    prompt: Le transferimos al Despacho del Alcalde.
    queue: despacho_alcalde
""",
        source="despacho.yaml",
    )
    call = Call(flow)

    actions = call.press("#")

    assert actions == (
        Say("Le transferimos al Despacho del Alcalde."),
        Transfer("queue", "despacho_alcalde"),
    )
    assert call.state.finished
