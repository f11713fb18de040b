# `make help`: the targets, variables and notes the Makefile marks, so the help cannot drift from it.
#   target: prerequisites ## what it does        -> one line under "targets"
#   ## what it is   (the line above) VAR ?= default -> one line under "variables"
#   #: text                                       -> a line of the notes at the end
/^[A-Za-z][A-Za-z0-9_-]*:.*## / {
    name = $0; sub(/:.*/, "", name)
    text = $0; sub(/^[^#]*## /, "", text)
    targets[++target_count] = sprintf("  make %-15s %s", name, text)
    doc = ""; next
}
/^## / { doc = substr($0, 4); next }
/^[A-Z][A-Z0-9_]* *\?=/ {
    if (doc != "") {
        name = $0; sub(/ *\?=.*/, "", name)
        value = $0; sub(/^[^=]*= */, "", value)
        variables[++variable_count] = sprintf("  %-20s %s", name "=" value, doc)
    }
    doc = ""; next
}
/^#:/ { text = $0; sub(/^#: ?/, "", text); notes[++note_count] = "  " text; doc = ""; next }
{ doc = "" }
END {
    print "usage: make <target> [VARIABLE=value ...], e.g. make plan STACK=prod PLAN_ARGS=--json"
    print ""
    print "targets:"
    for (i = 1; i <= target_count; i++) print targets[i]
    print ""
    print "variables (default after =):"
    for (i = 1; i <= variable_count; i++) print variables[i]
    print ""
    print "notes:"
    for (i = 1; i <= note_count; i++) print notes[i]
}
