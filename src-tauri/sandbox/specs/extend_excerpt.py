"""Adds the Support API paths Relay's opt-out capture uses (triggers, tickets, their comments and
tags) to the vendored excerpt, with every schema, parameter and example they reference."""
import sys, yaml
class L(yaml.SafeLoader): pass
L.add_constructor('tag:yaml.org,2002:value', lambda l, n: l.construct_scalar(n))
full = yaml.load(open(sys.argv[1]), Loader=L)
ex = yaml.load(open(sys.argv[2]), Loader=L)
PATHS = ['/api/v2/triggers', '/api/v2/triggers/{trigger_id}', '/api/v2/tickets/{ticket_id}',
         '/api/v2/tickets/{ticket_id}/comments', '/api/v2/tickets/{ticket_id}/tags']
def refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == '$ref' and isinstance(v, str):
                out.add(v)
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node: refs(v, out)
todo = set()
for p in PATHS:
    ex['paths'][p] = full['paths'][p]
    refs(full['paths'][p], todo)
done = set()
while todo:
    r = todo.pop()
    if r in done: continue
    done.add(r)
    _, _, kind, name = r.split('/')
    node = full['components'][kind][name]
    ex.setdefault('components', {}).setdefault(kind, {})[name] = node
    refs(node, todo)
ex['info']['x-excerpt-of'] = ex['info']['x-excerpt-of']
yaml.safe_dump(ex, open(sys.argv[3], 'w'), sort_keys=False, allow_unicode=True, width=100)
print(len(done), 'components')
