#!/usr/bin/env python3
# Similar-case lookup through a running server: 320 real cases told again (a sentence dropped,
# a line added) posted to /api/v1/cases/similar; latency of the last 300 and how often the
# original case is among the suggestions. Usage: bench/similar_http.py http://127.0.0.1:PORT TOKEN
# (TOKEN from POST /api/v1/auth/login as a clerk). Needs cases 1..1,000,000 (bench gen).
import json, sys, time, urllib.request, random
base, token = sys.argv[1], sys.argv[2]
random.seed(11)
H = {'content-type': 'application/json', 'authorization': 'Bearer ' + token}
def call(path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), headers=H, method='GET' if body is None else 'POST')
    t = time.perf_counter(); b = urllib.request.urlopen(req).read(); return (time.perf_counter() - t) * 1000, json.loads(b)
lat = []; found = 0
for i in range(320):
    _, c = call('/api/v1/cases/%d' % random.randint(1, 1000000))
    c = c['case']; m = c['matter']
    content = m['content']
    # A repeat petition: the same matter told again, a sentence dropped and a line added.
    parts = content.split('。')
    if len(parts) > 3: parts.pop(random.randrange(1, len(parts) - 1))
    content = '。'.join(parts) + '至今没有解决，再次反映。'
    place = (m.get('location') or {}).get('org')
    ms, body = call('/api/v1/cases/similar', {'subject': m['subject'], 'content': content, 'location': {'org': place} if place else None, 'limit': 10})
    if i >= 20: lat.append(ms)
    found += any(x['case']['id'] == c['id'] for x in body['items'])
lat.sort()
q = lambda p: lat[min(len(lat)-1, int(p * len(lat)))]
print(json.dumps({'n': len(lat), 'p50_ms': round(q(0.5), 2), 'p95_ms': round(q(0.95), 2), 'p99_ms': round(q(0.99), 2), 'max_ms': round(lat[-1], 2), 'original_found_share': found / 320}))
