/* FPUT-beta chain, fixed ends, leapfrog (kick-drift-kick), as a careful
 * person writes it in C: one particle per OpenMP iteration, the force in a
 * scratch array reused from the last kick. benchmarks/indexed_models.py
 * builds it with gcc -O3 -march=native -fopenmp. */
#include <stdlib.h>

static void force(const double *q, double *f, long n, double k, double beta) {
    for (long i = 0; i < n; i++) {
        double left = i > 0 ? q[i - 1] : 0.0, right = i < n - 1 ? q[i + 1] : 0.0;
        double d1 = right - q[i], d0 = q[i] - left;
        f[i] = k * (d1 - d0) + beta * (d1 * d1 * d1 - d0 * d0 * d0);
    }
}

/* state: particles x (q[0..n), v[0..n)) */
void fput(double *state, long particles, long n, long steps, double dt, double k, double beta) {
#pragma omp parallel for schedule(static)
    for (long p = 0; p < particles; p++) {
        double *q = state + p * 2 * n, *v = q + n;
        double *f = malloc(n * sizeof(double));
        force(q, f, n, k, beta);
        for (long s = 0; s < steps; s++) {
            for (long i = 0; i < n; i++) v[i] += 0.5 * dt * f[i];
            for (long i = 0; i < n; i++) q[i] += dt * v[i];
            force(q, f, n, k, beta);
            for (long i = 0; i < n; i++) v[i] += 0.5 * dt * f[i];
        }
        free(f);
    }
}
