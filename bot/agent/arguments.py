"""Which values of the request fill a tool's parameters: typed entities first (URLs, hosts, ports,
zones, paths, yes/no, enums), then numbers, then free text. `bot.agent.ranking` scores tools with
what this finds. Each kind of value has its own module: `enums`, `numbers`, `flags`, `free_text`;
`tool_words` is the tool's own wording, never a value."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from chatops.bot.agent.clauses import opens_with, verb_with_object
from chatops.bot.agent.durations import durations_in
from chatops.bot.agent.entities import (
    CLAUSE,
    Entities,
    identifier_words,
    name_words,
    stem,
    url_host,
    url_port,
    words_of,
)
from chatops.bot.agent.enum_choice import flag_alias_written, without_those_said_otherwise
from chatops.bot.agent.enums import (
    enum_aliases,
    enum_hosts,
    enum_matches,
    opens_a_clause,
    path_enum_matches,
    said_by_number,
    value_pattern,
)
from chatops.bot.agent.example_numbers import number_like_its_examples
from chatops.bot.agent.filled import ENTITY_KINDS, FIT_POINTS, Filled, item_schema
from chatops.bot.agent.flags import as_flag, yes_and_no, yes_or_no
from chatops.bot.agent.free_text import fill_text, object_positions, with_hosts
from chatops.bot.agent.glossed_values import described_by_gloss
from chatops.bot.agent.lexicon import (
    FALSE_PARTICLES,
    LIGHT_VERBS,
    STATE_VERBS,
    STATE_WORDS,
    SWITCH_VERBS,
    TRUE_PARTICLES,
)
from chatops.bot.agent.numbers import named_near, number_after, number_for, refused_number
from chatops.bot.agent.open_ended import (
    number_named_by_its_word,
    puts_it_off,
    zero_as_told,
    zero_for_all,
    zero_for_no_end,
    zero_for_none,
    zero_for_removal,
)
from chatops.bot.agent.param_kinds import Param, fits_string, parameters
from chatops.bot.agent.phrasal import particle_of_a_verb
from chatops.bot.agent.tool_words import (
    action_stems,
    description_stems,
    misspelt,
    own_name_words,
    tool_vocabulary,
)
from chatops.bot.agent.value_parts import split_nested
from chatops.bot.agent.values import (
    anchor_stems,
    distinctive,
    fitting,
    identifier_shaped,
    restrictive,
    spans_of,
    value_choices,
)
from chatops.bot.model import Risk
from chatops.tools.registry import ToolSpec


def fill_arguments(spec: ToolSpec, entities: Entities) -> Filled:
    """Fill what the entities can fill. Optional parameters are only filled on clear evidence
    (an enum value written out, a number next to the parameter's name), so defaults stay
    defaults; required ones also take the most plausible entity of their type."""
    filled = Filled()
    avoid = tool_vocabulary(spec) | description_stems(spec)
    own_stems = frozenset(stem(word) for word in own_name_words(spec))
    used_numbers: set[int] = set()
    params = parameters(spec)
    single_label_hosts: list[Param] = []
    others_left: list[Param] = []  # a change's value the request leaves out ("the rest of the tunnels")

    def put(param: Param, value: Any, label: str, points: float) -> None:
        filled.args[param.name] = value
        filled.sources[param.name] = label
        if param.kind in ENTITY_KINDS:
            filled.typed_fit += points
        elif param.kind in ("string", "list") and distinctive(item_schema(param)):
            filled.pattern_fits += 1
            # a value of a shape no word has (`lt-0117` for `^lt-[0-9]{4}$`) says which tool as
            # clearly as an enum value does
            points = max(points, FIT_POINTS["enum", "enum"])
        elif param.kind in ("string", "list") and "shaped like its examples" in label and \
                identifier_shaped(str(value)) and re.search(r"[A-Za-z]", str(value)):  # not "10:30", a time
            filled.example_fits += 1  # "HD-4411" for a ticket id "like HD-1234"
        filled.fit += points
        if points:
            filled.fit_labels.append(label)

    named_hosts = {host for param in params if param.kind == "enum" and not enum_matches(
        param.enum, entities.plain, enum_aliases(param.schema)) for _, host in enum_hosts(param, entities)}
    for param in params:
        kind = param.kind
        if kind == "url":
            if entities.urls:
                put(param, entities.urls[0], entities.urls[0], FIT_POINTS["url", "url"])
            elif entities.hosts:
                host = entities.hosts[0]
                port = dict(entities.host_ports).get(host)
                scheme = "http" if port in (80, 8080) else "https"
                shown = f"[{host}]" if ":" in host else host
                url = f"{scheme}://{shown}" + (f":{port}" if port else "")
                put(param, url, host, FIT_POINTS["host", "url"])
        elif kind in ("host", "domain"):
            hosts = entities.hosts if kind == "host" else [h for h in entities.hosts if h not in entities.ips]
            hosts = [host for host in hosts if host not in named_hosts]  # mx1.mail.corp is the relay mx1
            hosts = [host for host in hosts if fits_string(host, param.schema)]
            if hosts:
                put(param, _with_port(hosts[0], param, entities), hosts[0], FIT_POINTS["host", kind])
            elif entities.urls and url_host(entities.urls[0]):
                put(param, url_host(entities.urls[0]), entities.urls[0], FIT_POINTS["url", kind])
            elif kind == "host" and param.required:
                single_label_hosts.append(param)  # "node-7", "web1": after the spans are read
        elif kind == "port":
            if entities.ports:
                put(param, entities.ports[0], f"port {entities.ports[0]}", FIT_POINTS["port", "port"])
            elif entities.urls and url_port(entities.urls[0]):
                port = url_port(entities.urls[0])
                put(param, port, f"port {port}", FIT_POINTS["url", "host"])  # the URL's: weak
            elif entities.service_ports and param.required:
                name, port = entities.service_ports[0]
                put(param, port, f"{name} (port {port})", FIT_POINTS["port", "port"] / 2)
            elif param.required and (after := number_after(("on", "at"), entities)) is not None:
                put(param, after, f"port {after}", FIT_POINTS["port", "port"] / 2)  # "listening on 22"
            elif param.required and len(entities.numbers) == 1 and 1 <= entities.numbers[0] <= 65535 and (
                    entities.hosts or len(words_of(entities.plain)) <= 3):
                # "accept connections on 25", "and 2222?": a lone number where a port is needed
                port = entities.numbers[0]
                put(param, port, f"port {port}", FIT_POINTS["port", "port"] / 2)
            if param.name in filled.args:
                used_numbers.add(filled.args[param.name])
        elif kind == "timezone":
            if entities.timezones:
                put(param, entities.timezones[0], entities.timezones[0], FIT_POINTS["timezone", "timezone"])
            elif entities.cities:
                put(param, entities.cities[0], entities.cities[0], FIT_POINTS["city", "timezone"])
        elif kind == "path":
            if entities.paths:
                put(param, entities.paths[0], entities.paths[0], FIT_POINTS["path", "path"])
        elif kind == "bool":
            state = yes_or_no(param, entities, spec.summary)
            if state is not None:
                put(param, state, f"{param.name} {str(state).lower()}", FIT_POINTS["enum", "enum"])
                stated = set(words_of(entities.plain)) & (STATE_WORDS[0] | STATE_WORDS[1] | TRUE_PARTICLES |
                                                          FALSE_PARTICLES)
                if stated and opens_with(LIGHT_VERBS | SWITCH_VERBS | STATE_VERBS, entities.plain):
                    # "put the shop into maintenance": the state change is the verb; a flag only
                    # named ("make it an XL for the quarter-end run") is not
                    filled.verb_value = True
        elif kind == "enum":
            matches = enum_matches(param.enum, entities.plain, enum_aliases(param.schema), loose=param.required,
                                   labels=frozenset(identifier_words(param.name.lower())), own=own_stems)
            if not matches:  # "on mx1.mail.corp" for a relay that is one of mx1, mx2: the host's own name
                matches = [value for value, _ in enum_hosts(param, entities)]
            if not matches and (glossed := described_by_gloss(param.schema, entities.plain)) is not None:
                matches = [glossed]  # "tanker's filling the petrol tank" for "delivery (a tanker is filling …)"
            others = _any_other(param, entities.plain)
            if matches and (others or _left_out(matches, param, entities.plain)):
                matches = []  # "photo of the t1 panel. is any other tunnel in alarm?": t1 is the one left out
                others = True
            if spec.risk is Risk.read:  # "set the fire alarm off" filters no list by a state `off`
                matches = [value for value in matches if not particle_of_a_verb(str(value), entities.plain)]
            if others and spec.risk is not Risk.read:
                others_left.append(param)  # "pause the rest of the tunnels": which ones is asked, never "all"
            if not param.required:  # "kill 48213": the tool's own verb is not also its optional value
                matches = [value for value in matches if (stem(str(value).lower()) not in action_stems(spec)
                           and not verb_with_object(str(value), entities.plain))
                           or flag_alias_written(value, param, entities.plain)]  # "kill -9 31337": KILL
            # "resend it via sinch, twilio is flaky": a value said to be unwell is no choice; nor what
            # it is now or is moved away from ("is 3653 days, make it 30", "off telnyx onto bt-lon")
            matches = without_those_said_otherwise(matches, param, entities.plain, change=spec.risk is not Risk.read)
            if len(matches) > 1:  # "any faults on …": the default ("any") adds nothing, "fault" is what is asked
                matches = [value for value in matches if value != param.schema.get("default")] or matches
            by_path = [] if matches else path_enum_matches(param.enum, entities)
            for value in matches:  # "the 800" that names the mill sets no number ("… limit of the 800 to 600")
                if (by_number := said_by_number(str(value), entities.plain)) is not None:
                    used_numbers.add(int(by_number.group(1)))
            if len(matches) > 1 and spec.risk is not Risk.read:
                filled.ties[param.name] = [str(value) for value in matches]  # "out of rotation in api-pool"
            elif matches:
                put(param, matches[0], str(matches[0]), FIT_POINTS["enum", "enum"])
                if opens_a_clause(str(matches[0]), enum_aliases(param.schema), entities.plain):
                    filled.typed_fit += FIT_POINTS["enum", "enum"]  # "enable dark_mode": the verb is the value
                    filled.verb_value = True
            elif by_path:  # a file the request names ("syslog"): as telling as a path
                put(param, by_path[0], str(by_path[0]), FIT_POINTS["path", "path"])
                filled.typed_fit += FIT_POINTS["path", "path"]
            elif (ways := yes_and_no(param)) is not None:  # `downstream` "no"/"yes": "plus everything downstream"
                state = yes_or_no(as_flag(param, ways), entities, spec.summary)
                if state is not None:
                    put(param, ways[0] if state else ways[1], f"{param.name} {str(state).lower()}",
                        FIT_POINTS["enum", "enum"])
        elif kind == "enum_list":
            items = param.schema.get("items") or {}
            matches = enum_matches(list(items.get("enum") or []), entities.plain, enum_aliases(items))
            lowered = entities.plain.lower()  # in the order the request names them
            matches.sort(key=lambda value: (lowered.find(str(value).lower()) % (len(lowered) + 1)))
            if matches:
                put(param, matches, ", ".join(map(str, matches)), FIT_POINTS["enum", "enum"])
    for param in single_label_hosts:
        shape = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$", **param.schema}
        choices = value_choices(shape, spans_of(entities.plain), [], anchor_stems(param.name, param.schema,
                                name_words(spec)), avoid, set(), set())
        choices = [choice for choice in choices if not choice.value.isdigit()]
        if choices and choices[0].score > 0 and identifier_shaped(choices[0].value):
            put(param, choices[0].value, f"{param.name} {choices[0].value} ({choices[0].why})",
                FIT_POINTS["host", "host"])
    numeric = [param for param in params if param.kind in ("int", "number")]
    numeric.sort(key=lambda param: not named_near(param, entities))  # its own name first: "100 more times"
    # the words inside a quoted sentence are that one value, never values of their own
    spans = spans_of(with_hosts(entities.wording or entities.plain, entities.text, entities.hosts),
                     frozenset(entities.hosts))
    avoid = avoid | misspelt(spans, avoid)
    for param in params:  # "a disk full drill": the words of `disk-full` are that value, not another's
        value = filled.args.get(param.name)
        if param.kind == "enum" and isinstance(value, str) and re.search(r"[-_]", value) and \
                value.lower() not in entities.plain.lower():
            avoid |= {stem(part) for part in re.split(r"[-_]", value.lower()) if part}
    actions = action_stems(spec)
    objects = object_positions(spans, actions | {word for word in misspelt(spans, actions)})
    tool_words = name_words(spec)
    # "belt-4" that a text parameter's pattern takes whole is that value, not belt number 4 of a count
    shaped = {span.text.lower() for span in spans if any(
        param.kind == "string" and restrictive(param.schema) and fitting(span.text, param.schema) for param in params)}
    # "fire up 9d for forty five min": the "9d" a fan id's pattern takes whole is that fan, no 9 days
    named = {duration for text in shaped for duration in durations_in(text)}
    counted = dataclasses.replace(entities, durations=[duration for duration in entities.durations
                                                       if duration not in named]) if named else entities
    # "it has been down forty five minutes already": how long it lasted is no value of any number
    if entities.told_durations:  # (a figure written again elsewhere is also that: "job 45 … 45 minutes")
        figures = [int(word) for word in words_of(entities.plain) if word.isdigit()]
        told = {count for count, _ in entities.told_durations if figures.count(count) <= 1}
        counted = dataclasses.replace(
            counted, numbers=[number for number in counted.numbers if number not in told],
            durations=[duration for duration in counted.durations if duration not in entities.told_durations])
    for param in numeric:  # "all of it, not just the first 50": 0 where its description makes 0 all
        if param.name not in filled.args and (everything := zero_for_all(param, entities.plain)) is not None:
            put(param, everything, f"{param.name} 0 (all of them, as its description defines 0)",
                FIT_POINTS["anchor", "string"])
            used_numbers.update(entities.numbers)  # the number it does not want fills nothing else
    for param in numeric:  # "lift the power cap" where "0 removes the cap"
        if param.name in filled.args or entities.numbers:
            continue
        off = puts_it_off(param, entities.plain)  # "lights off in G09.04": the state asked is the order
        if off or zero_for_removal(param, entities.plain) is not None:
            put(param, 0, f"{param.name} 0 (its description's 0 {'puts it off' if off else 'removes it'})",
                FIT_POINTS["anchor", "string"])
        elif zero_for_none(param, entities.plain) is not None:  # "skip the dry" where "0 means no drying"
            put(param, 0, f"{param.name} 0 (its description's 0 leaves it out)", FIT_POINTS["anchor", "string"])
        elif zero_as_told(param, entities.plain) is not None:  # "stop feeding RFT:012" where "0 stops feeding"
            put(param, 0, f"{param.name} 0 (what its description's 0 does is asked)", FIT_POINTS["anchor", "string"])
        if off:
            filled.typed_fit += FIT_POINTS["enum", "enum"]
            filled.verb_value = True
    for param in numeric:  # numbers and free text last: they take what the typed ones left
        if param.name in filled.args:
            continue
        value, written = number_for(param, counted, used_numbers, spec.summary, only_number=len(numeric) == 1)
        if value is None and len(numeric) == 1 and spec.examples:  # "send P02 out at 20" as "… out at 20g"
            value = number_like_its_examples(param, spec.examples, counted, used_numbers,
                                             tuple(str(v) for v in filled.args.values() if isinstance(v, str)))
        if written and {form.lower() for form in written} & shaped:
            continue
        if value is not None and _named_for_a_text(value, params, entities.plain):
            continue  # "close gate 12" for a gate `^[0-9]{2}$`: gate 12, not 12 minutes
        if value is not None and _names_a_thing(value, shaped, params, entities.plain):
            continue  # "give berth 32A shore power": the berth a pattern takes whole, no 32 amps
        avoid |= written  # the name it was written in ("CHG4711") is not a text value too
        if value is not None:
            used_numbers.add(value)
            put(param, value, f"{param.name} {value}", FIT_POINTS["number", "int"])
        elif (refused := refused_number(param, counted, used_numbers)) is not None:
            filled.refused[param.name], written = refused  # "a delay of 300" where it takes 5-120: never its default
            used_numbers.add(written)
    for param in params:  # "for 30 minutes" where the pattern wants "30m"
        if param.name not in filled.args and param.kind == "string" and restrictive(param.schema):
            forms = [fitting(f"{count}{unit[0]}", param.schema) for count, unit in entities.durations]
            forms = [form for form in forms if form]
            if len(forms) == 1:
                put(param, forms[0], f"{param.name} {forms[0]} (a duration)", FIT_POINTS["anchor", "string"])
    for param in numeric:  # "house lights to full" where the description says "100 is full"
        if param.name not in filled.args and param.name not in filled.refused and \
                (named := number_named_by_its_word(param, entities.plain)) is not None:
            number, word = named
            put(param, number, f"{param.name} {number} (as its description names it: {word})",
                FIT_POINTS["anchor", "string"])
            if opens_with(frozenset({word}), entities.plain):  # "shut the vents on s-12" for "0 = shut"
                filled.typed_fit += FIT_POINTS["enum", "enum"]
                filled.verb_value = True
    for param in params:  # "until further notice" where the description says "0 = until someone lifts it"
        if param.name not in filled.args and (zero := zero_for_no_end(param, entities.plain)) is not None:
            put(param, zero, f"{param.name} {zero} (as its description defines 0)",
                FIT_POINTS["anchor", "string"])
    for param in params:  # text parameters that take what the request wrote as a URL or a path
        if param.name in filled.args or param.kind != "string":
            continue
        if entities.urls and re.search(r"\bur[li]s?\b", str(param.schema.get("description", "")), re.IGNORECASE) \
                and fitting(entities.urls[0], param.schema):  # an `endpoint` "id (we_...) or its URL"
            put(param, entities.urls[0], entities.urls[0], FIT_POINTS["url", "url"])
        elif restrictive(param.schema) and (paths := [path for path in entities.paths if fitting(path, param.schema)]):
            put(param, paths[0], paths[0], FIT_POINTS["path", "path"])  # a `disk` "^/dev/(sd…)": "/dev/sdd"
    # a `target` only its name calls a host (mcp-server-git's diff "target", no description): when no
    # host is written, what the request gives for it is text ("diff /srv/infra against origin/main")
    params = [dataclasses.replace(param, kind="string") if param.kind == "host" and param.required
              and param.name not in filled.args and not param.schema.get("description") else param
              for param in params]
    split_nested(params, filled, entities, put)
    fill_text(params, filled, spans, entities, avoid, objects, tool_words, put, spec.summary)
    _one_figure_one_value(numeric, params, filled, entities.plain)
    if not filled.verb_value and _switch_opens(params, filled, spec, entities.plain):
        filled.typed_fit += FIT_POINTS["enum", "enum"]  # "unpause etl.orders_daily", "unset noout on rbd-ams"
        filled.verb_value = True
    for param in params:
        if (param.required or param in others_left) and param.name not in filled.args:
            filled.missing.append(param)
    return filled


def _any_other(param: Param, text: str) -> bool:
    """Whether the request asks about the others of what the parameter names ("is any other tunnel
    in alarm?", "the rest of the pens"): the value it writes is the one left out, no filter."""
    if not re.search(r"\bother\b|\brest\b", text, re.IGNORECASE):
        return False
    names = "|".join(re.escape(word) for word in identifier_words(param.name.lower()) if len(word) >= 3)
    # (not "every other tunnel", every second one, nor "the other tunnel", one of them)
    others = (rf"\b(?:any|all(?:\s+the)?)\s+other\s+(?:{names})(?:e?s)?\b|"
              rf"\bthe\s+rest\s+of\s+the\s+(?:{names})(?:e?s)?\b")
    return bool(names) and re.search(others, text, re.IGNORECASE) is not None


# "other than t1, is any tunnel in alarm?": the value written is the one left out
_EXCEPT = re.compile(r"\bother\s+than\b|\bexcept\b|\bapart\s+from\b|\bbesides\b|\bexcluding\b|\bsave\s+for\b|"
                     r"\b(?:every|all|everywhere|everything)\b[^,;.]*?\b(?:but|bar)\b", re.IGNORECASE)


def _left_out(values: list[Any], param: Param, text: str) -> bool:
    """Whether a value written is the one "except", "other than", "besides" leaves out: written after
    it in its clause ("other than t1, is any tunnel in alarm?"), not in another ("restart web-1 in
    eu, except during business hours" keeps eu)."""
    aliases = enum_aliases(param.schema)
    for clause in CLAUSE.split(text):
        found = _EXCEPT.search(clause or "")
        if found is None:
            continue
        after = clause[found.end():]
        for value in values:
            written = [str(value), *(alias for alias, owner in aliases.items() if owner == value)]
            if any(re.search(value_pattern(form), after, re.IGNORECASE) for form in written):
                return True
    return False


def _names_a_thing(number: int, shaped: set[str], params: list[Param], text: str) -> bool:
    """Whether the figure is written glued to a letter as the name of a thing a text parameter's
    pattern takes whole ("berth 32A", "shore power for 10A please"): right after that parameter's
    name, or as the only such name in the request; "set berth 7B to 16A" names the berth apart."""
    glued = [form for form in shaped if re.fullmatch(rf"0*{number}[a-z]", form)]
    if not glued:
        return False
    names = {stem(word) for param in params if param.kind == "string" for word in identifier_words(param.name)}
    words = words_of(text)
    after_a_name = any(index and stem(words[index - 1]) in names and word.lower() in glued
                       for index, word in enumerate(words))
    return after_a_name or len(shaped) == 1


def _named_for_a_text(number: int, params: list[Param], text: str) -> bool:
    """Whether the figure stands right after the name of a text parameter whose pattern takes it
    whole ("gate 12" for `gate` of `^[0-9]{2}$`): that parameter's value, no count."""
    words = words_of(text)
    if sum(word.isdigit() and int(word) == number for word in words) > 1:
        return False  # "close gate 30 for 30 minutes": one for each
    names = {stem(param.name.lower()) for param in params
             if param.kind == "string" and restrictive(param.schema)}
    return any(index and stem(words[index - 1]) in names and word.isdigit() and int(word) == number and any(
        param.kind == "string" and stem(param.name.lower()) == stem(words[index - 1]) and fitting(word, param.schema)
        for param in params) for index, word in enumerate(words))


def _one_figure_one_value(numeric: list[Param], params: list[Param], filled: Filled, text: str) -> None:
    """A figure written once is one value: "take station 0417 out of service" gives the station
    `0417` (its pattern takes it whole), not also 417 minutes. A number that a text parameter took
    as its value leaves the numeric parameter that read the same figure, unless the request writes
    that figure twice ("fan 12 to speed 12")."""
    texts = [filled.args[param.name] for param in params
             if param.kind == "string" and isinstance(filled.args.get(param.name), str)]
    for param in numeric:
        value = filled.args.get(param.name)
        if not isinstance(value, int) or isinstance(value, bool) or \
                filled.sources.get(param.name) != f"{param.name} {value}":
            continue
        if not any(re.fullmatch(r"[0-9]+", taken) and int(taken) == value for taken in texts):
            continue
        if sum(int(figure) == value for figure in re.findall(r"(?<![\w.])[0-9]+(?![\w.])", text)) == 1:
            del filled.args[param.name], filled.sources[param.name]
            filled.fit -= FIT_POINTS["number", "int"]
            filled.fit_labels.remove(f"{param.name} {value}")


def _with_port(host: str, param: Param, entities: Entities) -> str:
    """`host:port` when the request wrote it so and the parameter takes that form ("host or
    host:port", a pattern with an optional `:port`); otherwise the bare host."""
    port = next((port for name, port in entities.host_ports if name == host), None)
    if port is None or f"{host}:{port}" not in entities.text:
        return host
    joined = f"{host}:{port}"
    pattern = param.schema.get("pattern")
    takes = fits_string(joined, param.schema) if pattern else "host:port" in str(param.schema.get("description", ""))
    return joined if takes else host


def _switch_opens(params: list[Param], filled: Filled, spec: ToolSpec, text: str) -> bool:
    """Whether the request's verb is a value of one of the tool's switches, followed by its object:
    "unpause etl.orders_daily", "resume ml.feature_refresh" (an alias), "unset noout on rbd-ams". A
    switch is an enum of two or three values, or one whose values hold the tool's name ("pause"
    in `pause_dag`'s "unpause"); its object is another value filled for the tool. A unit name
    opening "nginx web-1 logs" is no verb: a long enum of names is not a switch."""
    names = {word.lower() for word in name_words(spec) if len(word) >= 4}
    for param in params:
        value = filled.args.get(param.name)
        if param.kind != "enum" or not isinstance(value, str):
            continue
        if len(param.enum) > 3 and not any(name in value.lower() for name in names):
            continue
        said = frozenset({value.lower(), *(alias.lower() for alias, target in enum_aliases(param.schema).items()
                                           if target == value)})
        objects = frozenset(words_of(str(other))[0] for name, other in filled.args.items()
                            if name != param.name and not isinstance(other, bool) and words_of(str(other)))
        if objects and opens_with(said, text, then=objects, within=2):
            return True
    return False
