#!/usr/bin/env python3
"""A partial, independent verifier of Tabella election records, written from
e2e/SPEC.md alone (§1.1, §6.3, §7.6, §8.2-§8.4, §11, §12) with the Python
standard library: canonical JSON lines, entry hashes, the chain, RFC 6962
roots against checkpoint bodies, forks, entry types, order and multiplicity,
signer kinds and official keys, the roll hash, duplicate submissions and
ballots, the schedule, spoiled ballots, completeness.

It checks no signature and no proof (no Ed25519 or ristretto255 in the
standard library), so it skips the corpus records whose expected failure
needs them. On every other record of e2e/testdata/corpus.json it must report
the same first failure (check and entry) as `tabella verify`.

Run: python3 e2e/testdata/independent/structural.py
"""
import json, hashlib, struct, sys, base64, datetime, os
def field(label, value):
    return struct.pack('>I', len(label)) + label.encode() + struct.pack('>Q', len(value)) + value
def u64(v): return struct.pack('>Q', v)
def entry_hash(elec, e):
    b = field('tabella', b'v1') + field('domain', b'board-entry') + field('election', elec.encode()) \
        + field('index', u64(e['index'])) + field('type', e['type'].encode()) + field('time', u64(e['time'])) \
        + field('prev', bytes.fromhex(e['prev'])) + field('payload', bytes.fromhex(e['payload'])) \
        + field('signer', bytes.fromhex(e['signer'])) + field('signature', bytes.fromhex(e['signature']))
    return hashlib.sha256(b).digest()
def leaf(h): return hashlib.sha256(b'\x00' + h).digest()
def node(l, r): return hashlib.sha256(b'\x01' + l + r).digest()
def mth(leaves):
    n = len(leaves)
    if n == 1: return leaves[0]
    k = 1
    while k * 2 < n: k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))
def tagged(tag, *fs):
    b = struct.pack('>I', len(tag)) + tag.encode()
    for f in fs: b += struct.pack('>Q', len(f)) + f
    return hashlib.sha256(b).digest()
SIGNER = {'election.setup':1,'election.manifest':1,'roll.voters':1,'roll.seal':1,'ceremony.params':1,
 'ceremony.commitments':2,'ceremony.shares':2,'ceremony.complaints':2,'ceremony.answer':2,'ceremony.result':4,
 'election.open':1,'ballot':3,'ballot.spoiled':3,'election.close':1,'tally.share':2,'tally.result':4,
 'mix.shuffle':2,'mix.share':2,'mix.result':4}
def mixhead(p):
    # contest id and trustee of a mix.shuffle or mix.share payload (SPEC 16.1, 16.3)
    n = p[4]; m = p[5+n]
    return p[6+n:6+n+m].decode(), int.from_bytes(p[6+n+m:10+n+m], 'big')
ONCE = {'election.setup','election.manifest','roll.seal','ceremony.params','ceremony.result','election.open','election.close','tally.result'}
def gojson(o):
    s = json.dumps(o, separators=(',', ':'), ensure_ascii=False)
    for a, b in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026'), ('\u2028', '\\u2028'), ('\u2029', '\\u2029')):
        s = s.replace(a, b)
    return s.encode()
def ms(t): return int(datetime.datetime.strptime(t, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp()*1000)
def verify(data):
    lines = data.split(b'\n')
    if lines[-1] != b'': return ('record.format', -1)
    lines = lines[:-1]
    try: hdr = json.loads(lines[0])
    except Exception: return ('record.format', -1)
    elec = hdr['election']
    leaves, prev, last_time, seen, subkeys, cps = [], b'\0'*32, 0, {}, set(), {}
    roll, rollorder, sealed, cast, spoiled, sharers, officials = set(), [], False, set(), set(), set(), set()
    opened = closed = cerdone = params = False; manifest = None; last_cp = 0; last_is_cp = False; result = False
    mixers, decrypting, mixresults = set(), set(), set()
    for ln in lines[1:]:
        try:
            obj = json.loads(ln)
            if gojson(obj) != ln: return ('record.format', -1)
        except Exception: return ('record.format', -1)
        if 'checkpoint' in obj:
            last_is_cp = True
            body = obj['checkpoint'].split('\n\n')[0] + '\n'
            origin, size, root = body.split('\n')[:3]
            size = int(size); root = base64.b64decode(root)
            if size < 1 or size > len(leaves): return ('board.checkpoint', -1)
            if size in cps and cps[size] != root: return ('board.fork', -1)
            if size < last_cp: return ('board.checkpoint', -1)
            if mth(leaves[:size]) != root: return ('board.root', -1)
            cps[size] = root; last_cp = size
            continue
        last_is_cp = False
        e = obj['entry']; i = e['index']
        if entry_hash(elec, e) != bytes.fromhex(e['hash']): return ('board.entry', -1)
        if i != len(leaves) or bytes.fromhex(e['prev']) != prev: return ('board.chain', i)
        if e['time'] < last_time: return ('board.chain', i)
        prev = bytes.fromhex(e['hash']); last_time = e['time']; leaves.append(leaf(prev))
        t = e['type']; payload = bytes.fromhex(e['payload']); signer = bytes.fromhex(e['signer'])
        if t not in SIGNER: return ('entry.type', i)
        if (i == 0 and t != 'election.setup') or (i == 1 and t != 'election.manifest'): return ('entry.order', i)
        if t in ONCE:
            if t in seen: return ('entry.order', i)
            seen[t] = i
        if len(signer) != 33 or signer[0] != SIGNER[t]: return ('entry.signer', i)
        if t != 'election.setup' and signer[0] == 1 and signer[1:].hex() not in officials: return ('entry.signer', i)
        if t != 'ballot':
            k = (t, payload, signer, e['signature'])
            if k in subkeys: return ('board.duplicate', i)
            subkeys.add(k)
        if t == 'election.setup':
            s = json.loads(payload)
            if s['board']['key'] != hdr['board_key']: return ('board.key', 0)
            officials = set(s['officials'])
        elif t == 'election.manifest':
            manifest = json.loads(payload)
            if manifest['election_id'] != elec: return ('manifest', i)
        elif t == 'roll.voters':
            if sealed: return ('entry.order', i)
            for c in json.loads(payload)['credentials']:
                roll.add(bytes.fromhex(c)); rollorder.append(bytes.fromhex(c))
        elif t == 'roll.seal':
            sealed = True; s = json.loads(payload)
            h = hashlib.sha256(field('tabella', b'v1') + field('purpose', b'roll') + field('election', elec.encode())
                + field('count', u64(len(rollorder))) + b''.join(field('credential', c) for c in rollorder)).digest()
            if s['count'] != len(rollorder) or bytes.fromhex(s['hash']) != h: return ('roll.seal', i)
        elif t == 'ceremony.params': params = True
        elif t.startswith('ceremony.') and t != 'ceremony.result':
            if not params or cerdone: return ('entry.order', i)
        elif t == 'ceremony.result': cerdone = True
        elif t == 'election.open':
            opened = True
            if not sealed or not cerdone: return ('entry.order', i)
        elif t in ('ballot', 'ballot.spoiled'):
            if not opened or closed: return ('entry.order', i)
            if signer[1:] not in roll: return ('ballot.roll', i)
            if t == 'ballot':
                if not (ms(manifest['schedule']['opens']) <= e['time'] < ms(manifest['schedule']['closes'])): return ('ballot.schedule', i)
                h = tagged('tabella/v1 ballot', payload)
                if h in cast: return ('board.duplicate', i)
                if h in spoiled: return ('ballot.spoiled', i)
                cast.add(h)
            else:
                inner = json.loads(payload)['ballot']
                spoiled.add(tagged('tabella/v1 ballot', gojson(inner)))
        elif t == 'election.close':
            closed = True
        elif t == 'tally.share':
            if not closed or signer in sharers: return ('entry.order', i)
            sharers.add(signer)
        elif t == 'tally.result': result = True
        elif t in ('mix.shuffle', 'mix.share'):
            # Order only (16.2, 16.3): the turns and deadlines need the
            # ceremony's outcome and are not checked here.
            if not closed: return ('entry.order', i)
            try: contest, k = mixhead(payload)
            except Exception: return ('mix.shuffle' if t == 'mix.shuffle' else 'mix.share', i)
            key = (t, contest, k)
            if key in mixers: return ('entry.order', i)
            if t == 'mix.shuffle' and contest in decrypting: return ('entry.order', i)
            mixers.add(key)
            if t == 'mix.share': decrypting.add(contest)
        elif t == 'mix.result':
            if not closed: return ('entry.order', i)
            mixresults.add(json.loads(payload)['contest'])
    if not leaves or not last_is_cp or last_cp != len(leaves): return ('record.last', -1)
    if not result: return ('record.complete', -1)
    ranked = [c['id'] for c in manifest['contests'] if c['kind'] == 'ranked']
    if any(c not in mixresults for c in ranked): return ('mix.pending', -1)
    return None
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
corpus = json.load(open(os.path.join(ROOT, 'corpus.json')))
structural = {'record.format','board.entry','board.chain','board.checkpoint','board.fork','board.root','entry.type','entry.order','entry.signer','board.duplicate','board.key','manifest','roll.seal','ballot.roll','ballot.schedule','ballot.spoiled','record.last','record.complete'}
agree = skip = 0
for c in corpus:
    got = verify(open(os.path.join(ROOT, c['file']), 'rb').read())
    if c['valid']:
        ok = got is None
    elif c['check'] in structural and c['check'] != 'board.checkpoint':
        ok = got == (c['check'], c['entry'])
    else:
        skip += 1; print('skip (crypto)', c['file'], c['check'], got); continue
    agree += ok
    print('OK ' if ok else 'XX ', c['file'], c.get('check'), c.get('entry'), got)
print(agree, 'agree', skip, 'need crypto')
sys.exit(0 if agree == len(corpus) - skip else 1)
