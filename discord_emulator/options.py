"""Turn a test's ``{"option": value}`` into the ``data.options``/``resolved`` Discord would send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import EmulatorError
from .payloads import member_payload, role_payload, user_payload
from .state import Channel, Command, EmulatorState, Guild, Member, Role, User

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


class OptionBuilder:
    """Walks a registered command's schema and validates what a Discord client would enforce."""

    def __init__(self, state: EmulatorState, guild: Guild | None, invoker_id: int, focused: str | None = None) -> None:
        self.state = state
        self.guild = guild
        self.invoker_id = invoker_id
        self.focused = focused
        self.resolved: dict[str, dict[str, Any]] = {}

    def build(self, command: Command, path: list[str], values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Options for ``/name sub group ...`` with ``values`` placed at the leaf."""
        schema = command.options
        top: list[dict[str, Any]] = []
        level = top
        for name in path:
            groups = (SUB_COMMAND, SUB_COMMAND_GROUP)
            spec = next((o for o in schema if o["name"] == name and o["type"] in groups), None)
            if spec is None:
                raise EmulatorError(f"/{command.name} has no subcommand {name!r}")
            node: dict[str, Any] = {"type": spec["type"], "name": name, "options": []}
            level.append(node)
            level, schema = node["options"], list(spec.get("options") or [])
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
            raise EmulatorError(f"/{command.name} {' '.join(path)} needs a subcommand")
        unknown = set(values) - {o["name"] for o in schema}
        if unknown:
            raise EmulatorError(f"unknown option(s) {sorted(unknown)} for /{command.name}")
        for spec in schema:
            name = spec["name"]
            if name in values and values[name] is not None:
                level.append(self._option(spec, values[name]))
            elif spec.get("required") and self.focused is None:
                raise EmulatorError(f"option {name!r} is required")
        return top

    def _option(self, spec: dict[str, Any], value: Any) -> dict[str, Any]:
        """One leaf option with its value converted to the wire type."""
        option: dict[str, Any] = {"type": spec["type"], "name": spec["name"]}
        if spec["name"] == self.focused:
            option.update(value=str(value), focused=True)
            return option
        option["value"] = self._convert(spec, value)
        return option

    def _convert(self, spec: dict[str, Any], value: Any) -> Any:
        """Coerce and check a value as the Discord client's option picker would."""
        kind = spec["type"]
        if kind == STRING:
            value = str(value)
            self._check_range(spec, len(value), "min_length", "max_length")
        elif kind == INTEGER:
            if isinstance(value, bool) or int(value) != value:
                raise EmulatorError(f"option {spec['name']!r} needs an integer, got {value!r}")
            value = int(value)
            self._check_range(spec, value, "min_value", "max_value")
        elif kind == NUMBER:
            value = float(value)
            self._check_range(spec, value, "min_value", "max_value")
        elif kind == BOOLEAN:
            value = bool(value)
        elif kind in (USER, MENTIONABLE, CHANNEL, ROLE):
            return self.resolve(spec, value)
        else:
            raise EmulatorError(f"option type {kind} is not supported by the emulator")
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise EmulatorError(f"{value!r} is not a choice of option {spec['name']!r}")
        return value

    def _check_range(self, spec: dict[str, Any], value: float, low: str, high: str) -> None:
        """Enforce min/max limits the client enforces before sending, naming them as Discord's client does."""
        lo, hi = spec.get(low), spec.get(high)
        if (lo is None or value >= lo) and (hi is None or value <= hi):
            return
        bounds = (
            f"between {lo} and {hi}"
            if lo is not None and hi is not None
            else (f"at least {lo}" if lo is not None else f"at most {hi}")
        )
        what = f"{bounds} characters long" if low == "min_length" else bounds
        raise EmulatorError(f"option {spec['name']!r} must be {what} (got {value!r})")

    def resolve(self, spec: dict[str, Any], value: Any) -> str:
        """Snowflake options carry the id and put the entity into ``resolved``."""
        kind = spec["type"]
        if isinstance(value, Member):
            value = value.user
        if isinstance(value, (User, Role, Channel)):
            entity: User | Role | Channel | None = value
        else:
            entity = self._lookup(int(value), kind)
        if isinstance(entity, User) and kind in (USER, MENTIONABLE):
            self.add_user(entity)
        elif isinstance(entity, Role) and kind in (ROLE, MENTIONABLE):
            self.resolved.setdefault("roles", {})[str(entity.id)] = role_payload(entity)
        elif isinstance(entity, Channel) and kind == CHANNEL:
            self.add_channel(entity, spec.get("channel_types"))
        else:
            raise EmulatorError(f"{value!r} does not fit option {spec['name']!r} of type {kind}")
        return str(entity.id)

    def _lookup(self, entity_id: int, kind: int) -> User | Role | Channel | None:
        """Find an id among users, roles or channels according to the option type."""
        if kind in (USER, MENTIONABLE) and entity_id in self.state.users:
            return self.state.users[entity_id]
        if kind in (ROLE, MENTIONABLE) and self.guild and entity_id in self.guild.roles:
            return self.guild.roles[entity_id]
        if kind == CHANNEL:
            return self.state.channels.get(entity_id)
        return None

    def add_user(self, user: User) -> None:
        """Resolved user, plus the member (without ``user``) when they are in this guild."""
        self.resolved.setdefault("users", {})[str(user.id)] = user_payload(user)
        member = self.guild.members.get(user.id) if self.guild else None
        if member is not None and self.guild is not None:
            members = self.resolved.setdefault("members", {})
            members[str(user.id)] = member_payload(member, self.guild, with_user=False)

    def add_channel(self, channel: Channel, allowed: list[int] | None) -> None:
        """Resolved partial channel with the invoker's permissions in it."""
        if allowed and channel.type not in allowed:
            raise EmulatorError(f"channel type {channel.type} not allowed here")
        self.resolved.setdefault("channels", {})[str(channel.id)] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(self.guild.permissions_for(self.invoker_id) if self.guild else 0),
        }
