#!/usr/bin/env python3
"""An independent verifier of Tabella's shuffle proofs, written from
e2e/SPEC.md §2, §3 and §14 alone with the Python standard library:
ristretto255 (RFC 9496) on Python integers, expand_message_xmd (RFC 9380),
the transcript, the challenges and the equations E1-E5.

It checks generators.json (§14.4) and reaches the verdict of every vector of
vectors.json (§14.9): valid, malformed, unmixed or invalid. It is slow and
variable time (a verifier has no secrets) and only meant for the vectors.

Run: python3 e2e/testdata/mixnet/verify.py
"""
import hashlib, json, os, struct, sys

# --- ristretto255 (RFC 9496) ---------------------------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = 1159843021668779879193775521855586647937357759715417654439879720876111806838
D_MINUS_ONE_SQ = 40440834346308536858101042469323190826248399146238708352240133220865137265952


def neg(x): return -x % P
def is_negative(x): return x % P & 1
def ct_abs(x): return neg(x) if is_negative(x) else x % P


def sqrt_ratio_m1(u, v):
    u, v = u % P, v % P
    r = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    check = v * r * r % P
    correct = check == u
    flipped = check == neg(u)
    flipped_i = check == neg(u) * SQRT_M1 % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return correct or flipped, ct_abs(r)


class Malformed(Exception):
    pass


IDENTITY = (0, 1, 1, 0)


def decode_point(b):
    """RFC 9496 §4.3.1; raises Malformed."""
    if len(b) != 32:
        raise Malformed('point length')
    s = int.from_bytes(b, 'little')
    if s >= P or is_negative(s):
        raise Malformed('non-canonical point')
    ss = s * s % P
    u1, u2 = (1 - ss) % P, (1 + ss) % P
    u2_sqr = u2 * u2 % P
    v = (neg(D * u1 * u1) - u2_sqr) % P
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = invsqrt * u2 % P
    den_y = invsqrt * den_x * v % P
    x = ct_abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not was_square or is_negative(t) or y == 0:
        raise Malformed('not a ristretto255 encoding')
    return (x, y, 1, t)


def decode_element(b):
    p = decode_point(b)
    if equal(p, IDENTITY):
        raise Malformed('identity')
    return p


def encode(p):
    """RFC 9496 §4.3.2."""
    x0, y0, z0, t0 = p
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 * u2)
    den1, den2 = invsqrt * u1 % P, invsqrt * u2 % P
    z_inv = den1 * den2 * t0 % P
    if is_negative(t0 * z_inv):
        x, y, den_inv = y0 * SQRT_M1 % P, x0 * SQRT_M1 % P, den1 * INVSQRT_A_MINUS_D % P
    else:
        x, y, den_inv = x0, y0, den2
    if is_negative(x * z_inv):
        y = neg(y)
    return ct_abs(den_inv * (z0 - y)).to_bytes(32, 'little')


def equal(p, q):
    return (p[0] * q[1] - p[1] * q[0]) % P == 0 or (p[1] * q[1] - p[0] * q[0]) % P == 0


def add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(s, p):
    s %= L
    r = IDENTITY
    while s:
        if s & 1:
            r = add(r, p)
        p = add(p, p)
        s >>= 1
    return r


def msm(pairs):
    r = IDENTITY
    for s, p in pairs:
        r = add(r, mul(s, p))
    return r


def map_to_point(t):
    """RFC 9496 §4.3.4, MAP."""
    r = SQRT_M1 * t * t % P
    u = (r + 1) * ONE_MINUS_D_SQ % P
    v = (-1 - r * D) * (r + D) % P
    was_square, s = sqrt_ratio_m1(u, v)
    if was_square:
        c = P - 1
    else:
        s, c = neg(ct_abs(s * t)), r
    n = (c * (r - 1) * D_MINUS_ONE_SQ - v) % P
    w0 = 2 * s * v % P
    w1 = n * SQRT_AD_MINUS_ONE % P
    w2 = (1 - s * s) % P
    w3 = (1 + s * s) % P
    return (w0 * w3 % P, w2 * w1 % P, w1 * w3 % P, w0 * w2 % P)


def from_uniform(b):
    """RFC 9496 §4.3.4, element derivation from 64 bytes."""
    def fe(h):
        return (int.from_bytes(h, 'little') & ((1 << 255) - 1)) % P
    return add(map_to_point(fe(b[:32])), map_to_point(fe(b[32:])))


G = decode_point(bytes.fromhex('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76'))


# --- RFC 9380 and §3 -------------------------------------------------------
def expand_xmd(msg, dst, n=64):
    assert n == 64 and len(dst) <= 255
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha512(bytes(128) + msg + n.to_bytes(2, 'big') + b'\x00' + dst_prime).digest()
    return hashlib.sha512(b0 + b'\x01' + dst_prime).digest()


def hash_to_scalar(dst, msg):
    return int.from_bytes(expand_xmd(msg, dst), 'little') % L


def gen(i):
    return from_uniform(expand_xmd(struct.pack('>Q', i), b'tabella-v1-mixnet-generators'))


def field(label, value):
    return struct.pack('>I', len(label)) + label.encode() + struct.pack('>Q', len(value)) + value


def challenge(transcript):
    return hash_to_scalar(b'tabella-v1-fiat-shamir-challenge', transcript)


def scalar_bytes(s):
    return s.to_bytes(32, 'little')


# --- §14 ---------------------------------------------------------------------
def decode_list(b):
    """§14.3: returns (N, w, rows of (A, B) points, body bytes)."""
    if len(b) < 12 or b[:4] != b'TML1':
        raise Malformed('list tag')
    n, w = struct.unpack('>II', b[4:12])
    if not (1 <= n <= 2**20 and 1 <= w <= 64 and n * w <= 2**22):
        raise Malformed('list counts')
    if len(b) != 12 + 64 * n * w:
        raise Malformed('list length')
    pts = [decode_element(b[12 + 32 * i:44 + 32 * i]) for i in range(2 * n * w)]
    rows = [[(pts[2 * (i * w + k)], pts[2 * (i * w + k) + 1]) for k in range(w)] for i in range(n)]
    return n, w, rows, b[12:]


def decode_proof(b):
    if len(b) < 12 or b[:4] != b'TMP1':
        raise Malformed('proof tag')
    n, w = struct.unpack('>II', b[4:12])
    if not (1 <= n <= 2**20 and 1 <= w <= 64 and n * w <= 2**22):
        raise Malformed('proof counts')
    if len(b) != 12 + 32 * (5 * n + 3 * w + 6):
        raise Malformed('proof length')
    np_ = 3 * n + 3 + 2 * w
    raw_pts = [b[12 + 32 * i:44 + 32 * i] for i in range(np_)]
    pts = [decode_element(x) for x in raw_pts]
    scs = []
    for i in range(2 * n + 3 + w):
        o = 12 + 32 * np_ + 32 * i
        s = int.from_bytes(b[o:o + 32], 'little')
        if s >= L:
            raise Malformed('scalar not reduced')
        scs.append(s)
    return {
        'n': n, 'w': w, 'raw': raw_pts,
        'c': pts[:n], 'chain': pts[n:2 * n], 'tchain': pts[2 * n:3 * n],
        't1': pts[3 * n], 't2': pts[3 * n + 1], 't3': pts[3 * n + 2],
        't4': [(pts[3 * n + 3 + 2 * k], pts[3 * n + 4 + 2 * k]) for k in range(w)],
        's1': scs[0], 's2': scs[1], 's3': scs[2], 's4': scs[3:3 + w],
        'shat': scs[3 + w:3 + w + n], 'sperm': scs[3 + w + n:],
    }


def verify(v):
    """Returns (verdict, u, c)."""
    try:
        key = decode_element(bytes.fromhex(v['key']))
        base = bytes.fromhex(v['base'])
        contest = v['contest'].encode()
        if len(base) != 32 or v['mixer'] < 1 or not 1 <= len(contest) <= 64:
            raise Malformed('statement')
        n, w, inp, in_body = decode_list(bytes.fromhex(v['input']))
        n2, w2, out, out_body = decode_list(bytes.fromhex(v['output']))
        pr = decode_proof(bytes.fromhex(v['proof']))
        if (n2, w2) != (n, w) or (pr['n'], pr['w']) != (n, w):
            raise Malformed('counts differ')
    except Malformed:
        return 'malformed', None, None
    # Step 2: no output A is an input A.
    in_a = {encode(inp[j][k][0]) for j in range(n) for k in range(w)}
    if any(encode(out[i][k][0]) in in_a for i in range(n) for k in range(w)):
        return 'unmixed', None, None
    # Step 3: generators, transcript, challenges.
    h = gen(0)
    hs = [gen(i) for i in range(1, n + 1)]
    raw = pr['raw']
    t = field('tabella', b'v1') + field('protocol', b'tabella/mixnet/v1') + field('base', base)
    t += field('key', bytes.fromhex(v['key'])) + field('mixer', struct.pack('>Q', v['mixer']))
    t += field('contest', contest) + field('n', struct.pack('>Q', n)) + field('width', struct.pack('>Q', w))
    t += field('input', in_body) + field('output', out_body) + field('commitments', b''.join(raw[:n]))
    seed = scalar_bytes(challenge(t))
    u = [hash_to_scalar(b'tabella-v1-mixnet-u', seed + struct.pack('>Q', j)) for j in range(1, n + 1)]
    t += field('chain', b''.join(raw[n:2 * n]))
    t += field('t1', raw[3 * n]) + field('t2', raw[3 * n + 1]) + field('t3', raw[3 * n + 2])
    t += field('t4', b''.join(raw[3 * n + 3:3 * n + 3 + 2 * w]))
    t += field('tchain', b''.join(raw[2 * n:3 * n]))
    c = challenge(t)
    U = 1
    for x in u:
        U = U * x % L
    # Step 4: E1-E5, each side computed as written in §14.6.
    negp = lambda p: (neg(p[0]), p[1], p[2], neg(p[3]))
    cs, chain, sp = pr['c'], pr['chain'], pr['sperm']
    sum_c = msm([(1, x) for x in cs])
    sum_h = msm([(1, x) for x in hs])
    ok = equal(mul(pr['s1'], G), add(pr['t1'], mul(c, add(sum_c, negp(sum_h)))))
    ok &= equal(mul(pr['s2'], G), add(pr['t2'], mul(c, add(chain[n - 1], negp(mul(U, h))))))
    ok &= equal(add(mul(pr['s3'], G), msm(zip(sp, hs))), add(pr['t3'], mul(c, msm(zip(u, cs)))))
    for k in range(w):
        for half, base_pt in ((0, G), (1, key)):
            lhs = add(msm([(sp[i], out[i][k][half]) for i in range(n)]), negp(mul(pr['s4'][k], base_pt)))
            rhs = add(pr['t4'][k][half], mul(c, msm([(u[j], inp[j][k][half]) for j in range(n)])))
            ok &= equal(lhs, rhs)
    prev = h
    for i in range(n):
        ok &= equal(add(mul(pr['shat'][i], G), mul(sp[i], prev)), add(pr['tchain'][i], mul(c, chain[i])))
        prev = chain[i]
    return ('valid' if ok else 'invalid'), u, c


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    bad = 0
    for g in json.load(open(os.path.join(here, 'generators.json'))):
        if encode(gen(g['index'])).hex() != g['point']:
            print('generator %d differs' % g['index'])
            bad += 1
    vectors = json.load(open(os.path.join(here, 'vectors.json')))
    for v in vectors:
        verdict, u, c = verify(v)
        if verdict != v['expect']:
            print('%s: %s, expected %s' % (v['name'], verdict, v['expect']))
            bad += 1
        if 'u' in v and ([scalar_bytes(x).hex() for x in u] != v['u'] or scalar_bytes(c).hex() != v['c']):
            print('%s: challenges differ' % v['name'])
            bad += 1
    print('%d vectors, %d generators, %d mismatches' % (len(vectors), 9, bad))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
