/* Hand-written C kernels for benchmarks/ensemble_throughput.py: the
 * practical limit on this hardware. gcc -O3 -march=native -fopenmp, one
 * xoshiro256+ stream per particle, Doornik's ZIGNOR ziggurat normals. */
#include <math.h>
#include <stdint.h>

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

typedef struct { uint64_t s[4]; } rng_t;

static inline uint64_t next(rng_t *r) {
    uint64_t *s = r->s, result = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

static inline uint64_t splitmix(uint64_t *z) {
    uint64_t x = (*z += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void seed(rng_t *r, uint64_t seed, uint64_t particle) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull ^ (particle + 1) * 0xD1B54A32D192ED03ull;
    for (int k = 0; k < 4; k++) r->s[k] = splitmix(&z);
}

static inline double uniform(rng_t *r) { return (double)(next(r) >> 11) * 0x1.0p-53; }

#define ZIG_C 128
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3
static double zig_x[ZIG_C + 1], zig_ratio[ZIG_C];

void zig_init(void) {
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f; zig_x[1] = ZIG_R; zig_x[ZIG_C] = 0;
    for (int i = 2; i < ZIG_C; i++) { zig_x[i] = sqrt(-2 * log(ZIG_V / zig_x[i - 1] + f)); f = exp(-0.5 * zig_x[i] * zig_x[i]); }
    for (int i = 0; i < ZIG_C; i++) zig_ratio[i] = zig_x[i + 1] / zig_x[i];
}

static inline double normal(rng_t *r) {
    for (;;) {
        uint64_t bits = next(r);
        int i = (int)(bits & 127);
        double u = 2.0 * (double)(bits >> 11) * 0x1.0p-53 - 1.0;
        if (fabs(u) < zig_ratio[i]) return u * zig_x[i];
        if (i == 0) {
            double a, b;
            do { a = log(1 - uniform(r)) / ZIG_R; b = log(1 - uniform(r)); } while (-2 * b < a * a);
            return u < 0 ? a - ZIG_R : ZIG_R - a;
        }
        double x = u * zig_x[i];
        double f0 = exp(-0.5 * (zig_x[i] * zig_x[i] - x * x)), f1 = exp(-0.5 * (zig_x[i + 1] * zig_x[i + 1] - x * x));
        if (f1 + uniform(r) * (f0 - f1) < 1.0) return x;
    }
}

/* (a) overdamped Langevin, E = (x^2 - 1)^2 + y^2/2 */
void double_well(double *xy, long n, long steps, double dt, double T, uint64_t s) {
    double noise = sqrt(2 * T * dt);
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        rng_t r; seed(&r, s, i);
        double x = xy[2 * i], y = xy[2 * i + 1];
        for (long k = 0; k < steps; k++) {
            double fx = -4 * x * (x * x - 1), fy = -y;
            x += fx * dt + noise * normal(&r);
            y += fy * dt + noise * normal(&r);
        }
        xy[2 * i] = x; xy[2 * i + 1] = y;
    }
}

/* (b) overdamped Langevin in the Muller-Brown potential */
static const double A[4] = {-200, -100, -170, 15}, a[4] = {-1, -1, -6.5, 0.7}, b[4] = {0, 0, 11, 0.6},
                    c[4] = {-10, -10, -6.5, 0.7}, X[4] = {1, 0, -0.5, -1}, Y[4] = {0, 0.5, 1.5, 1};

void muller_brown(double *xy, long n, long steps, double dt, double T, uint64_t s) {
    double noise = sqrt(2 * T * dt);
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        rng_t r; seed(&r, s, i);
        double x = xy[2 * i], y = xy[2 * i + 1];
        for (long k = 0; k < steps; k++) {
            double gx = 0, gy = 0;
            for (int j = 0; j < 4; j++) {
                double dx = x - X[j], dy = y - Y[j];
                double e = A[j] * exp(a[j] * dx * dx + b[j] * dx * dy + c[j] * dy * dy);
                gx += e * (2 * a[j] * dx + b[j] * dy);
                gy += e * (b[j] * dx + 2 * c[j] * dy);
            }
            x += -gx * dt + noise * normal(&r);
            y += -gy * dt + noise * normal(&r);
        }
        xy[2 * i] = x; xy[2 * i + 1] = y;
    }
}

/* (c) double pendulum (m = l = 1), RK4 */
static inline void dp_rhs(const double *u, double g, double *f) {
    /* m1 = m2 = l1 = l2 = 1 (the textbook closed form) */
    double d = u[0] - u[1], s = sin(d), co = cos(d), den = 3 - cos(2 * d);
    f[0] = u[2];
    f[1] = u[3];
    f[2] = (-3 * g * sin(u[0]) - g * sin(u[0] - 2 * u[1]) - 2 * s * (u[3] * u[3] + u[2] * u[2] * co)) / den;
    f[3] = 2 * s * (2 * u[2] * u[2] + 2 * g * cos(u[0]) + u[3] * u[3] * co) / den;
}

void double_pendulum(double *state, long n, long steps, double dt, double g) {
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        double u[4], k1[4], k2[4], k3[4], k4[4], w[4];
        for (int j = 0; j < 4; j++) u[j] = state[4 * i + j];
        for (long k = 0; k < steps; k++) {
            dp_rhs(u, g, k1);
            for (int j = 0; j < 4; j++) w[j] = u[j] + 0.5 * dt * k1[j];
            dp_rhs(w, g, k2);
            for (int j = 0; j < 4; j++) w[j] = u[j] + 0.5 * dt * k2[j];
            dp_rhs(w, g, k3);
            for (int j = 0; j < 4; j++) w[j] = u[j] + dt * k3[j];
            dp_rhs(w, g, k4);
            for (int j = 0; j < 4; j++) u[j] += dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        }
        for (int j = 0; j < 4; j++) state[4 * i + j] = u[j];
    }
}

/* (d) Henon-Heiles, leapfrog (kick-drift-kick with the force reused) */
void henon_heiles(double *state, long n, long steps, double dt) {
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        double x = state[4 * i], y = state[4 * i + 1], px = state[4 * i + 2], py = state[4 * i + 3];
        double fx = -x - 2 * x * y, fy = -y - (x * x - y * y);
        for (long k = 0; k < steps; k++) {
            px += 0.5 * dt * fx; py += 0.5 * dt * fy;
            x += dt * px; y += dt * py;
            fx = -x - 2 * x * y; fy = -y - (x * x - y * y);
            px += 0.5 * dt * fx; py += 0.5 * dt * fy;
        }
        state[4 * i] = x; state[4 * i + 1] = y; state[4 * i + 2] = px; state[4 * i + 3] = py;
    }
}
