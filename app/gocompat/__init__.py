"""Everything that must behave exactly like Go, Helm or ChartMuseum's Go libraries.

* :mod:`~app.gocompat.semver`, :mod:`~app.gocompat.semver_constraints`: Masterminds/semver
  versions (parsing, ordering) and constraints.
* :mod:`~app.gocompat.flags`: ``strconv`` bools/ints and ``time.ParseDuration`` for options.
* :mod:`~app.gocompat.text`: ``strconv.Quote``, ``FormatFloat``, ``unicode`` classes, ``%#v``.
* :mod:`~app.gocompat.times`: RFC 3339 times as Go formats and accepts them.
* :mod:`~app.gocompat.json_encoding`: ``encoding/json`` output and its number round trip.
* :mod:`~app.gocompat.scalars`: how go-yaml v2 types plain scalars (reserved words, numbers),
  shared by reading and emitting.
* Reading (``sigs.k8s.io/yaml.Unmarshal``): :mod:`~app.gocompat.yaml_read` (go-yaml parsing),
  :mod:`~app.gocompat.yaml_read_fast` (the simple-document fast path),
  :mod:`~app.gocompat.yaml_to_json`, :mod:`~app.gocompat.unmarshal_types` (Go destination
  types), :mod:`~app.gocompat.unmarshal` and its fast path :mod:`~app.gocompat.unmarshal_fast`.
* Emitting (go-yaml v2): :mod:`~app.gocompat.yaml_emit` (block layout),
  :mod:`~app.gocompat.yaml_emit_scalar` (scalar styles, folding), and
  :mod:`~app.gocompat.natural_order` (mapping-key order).
"""
