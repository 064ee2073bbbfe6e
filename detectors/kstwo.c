/* kstwo.c - survival function of the one-sample two-sided KS statistic D_n,
 * the asymptotic p-value behind ks_2samp (scipy.stats.kstwo.sf).
 *
 * The regimes follow Simard & L'Ecuyer (2011) with the cut-offs scipy 1.10
 * uses (scipy/stats/_ksstats.py, scipy/special/cephes/kolmogorov.c):
 *   n*d <= 1 or n*d >= n-1      Ruben-Gambino closed forms
 *   d >= 0.5                    2 * Smirnov one-sided sf (exact there)
 *   n <= 140:  n*d^2 <= 0.754693 Durbin matrix (Marsaglia-Tsang-Wang)
 *              n*d^2 <= 4        Pomeranz recursion
 *              otherwise         2 * Smirnov
 *   n > 140:   n*d^2 >= 370      0
 *              n*d^2 >= 2.2      2 * Smirnov
 *              n <= 1e5 and n*d^1.5 <= 1.4   Durbin matrix
 *              otherwise         Pelz-Good asymptotic series
 * Durbin and Pomeranz rescale by 2^128 to stay inside double range. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"

#define KS_E128 128
#define KS_P128 0x1p128
#define KS_M128 0x1p-128
#define KS_MIN_LOG (-708.0)
#define KS_CEPHES_MINLOG (-7.451332191019412076235e2)
#define KS_SMIRNOV_MAX_N 1000000L
/* kstwo shapes above this are refused (nan): they no longer fit a long
 * exactly and no window is that large. */
#define KS_KSTWO_MAX_N 9007199254740992.0

/* Largest m of the Durbin matrix we accept (m = 2*ceil(n*d) - 1); scipy
 * only reaches ~120 through kstwo's regime choice. */
#define KS_DMTW_MAX_M 400

static double clip01(double p)
{
	if (isnan(p))
		return p;
	return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/* log(n! / n^n) by Stirling with n*log(n) removed up front. */
static double log_nfact_div_npown(double n)
{
	static const double c[] = {
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2};
	double rn = 1.0 / n, x = rn / n, y = 0.0;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		y = y * x + c[i];
	return log(n) / 2 - n + log(2 * M_PI) / 2 + rn * y;
}

/* C = A * B for m x m row-major matrices. */
static void matmul(const double *A, const double *B, double *C, int m)
{
	int i, j, k;

	for (i = 0; i < m; i++) {
		double *row = C + (size_t)i * m;

		memset(row, 0, sizeof(double) * (size_t)m);
		for (k = 0; k < m; k++) {
			double aik = A[(size_t)i * m + k];
			const double *brow = B + (size_t)k * m;

			if (aik == 0.0)
				continue;
			for (j = 0; j < m; j++)
				row[j] += aik * brow[j];
		}
	}
}

/* Pr(D_n <= d) by Durbin's matrix, computed as in Marsaglia, Tsang & Wang:
 * k-th diagonal entry of (n!/n^n) H^n with H of size m = 2k-1. */
static double kolmogn_dmtw_cdf(long n, double d)
{
	double nd, h, fac, tt, p_d;
	double *H = NULL, *P = NULL, *T = NULL, *v = NULL, *w = NULL;
	long double p;
	long nn, expnt = 0, hexpnt = 0, i;
	int k, m, r, c;

	if (d >= 1.0)
		return 1.0;
	nd = (double)n * d;
	if (nd <= 0.5)
		return 0.0;
	k = (int)ceil(nd);
	h = k - nd;
	m = 2 * k - 1;
	if (m > KS_DMTW_MAX_M)
		return NAN;

	H = calloc((size_t)m * m, sizeof(double));
	P = calloc((size_t)m * m, sizeof(double));
	T = calloc((size_t)m * m, sizeof(double));
	v = calloc((size_t)m, sizeof(double));
	w = calloc((size_t)m, sizeof(double));
	if (!H || !P || !T || !v || !w) {
		p_d = NAN;
		goto out;
	}

	/* v[j-1] = (1 - h^j)/j!, w[j-1] = 1/(j-1)! */
	fac = 1.0;
	for (r = 1; r <= m; r++) {
		v[r - 1] = 1.0 - pow(h, r);
		w[r - 1] = fac;
		fac /= r;
		v[r - 1] *= fac;
	}
	tt = pow(fmax(2 * h - 1.0, 0.0), m) - 2 * pow(h, m);
	v[m - 1] = (1.0 + tt) * fac;

	for (c = 1; c < m; c++)
		for (r = c - 1; r < m; r++)
			H[(size_t)r * m + c] = w[r - c + 1];
	for (r = 0; r < m; r++)
		H[(size_t)r * m] = v[r];
	for (c = 0; c < m; c++)
		H[(size_t)(m - 1) * m + c] = v[m - 1 - c];

	for (r = 0; r < m; r++)
		P[(size_t)r * m + r] = 1.0;
	for (nn = n; nn > 0; nn /= 2) {
		double *sw;

		if (nn % 2) {
			matmul(P, H, T, m);
			sw = P;
			P = T;
			T = sw;
			expnt += hexpnt;
		}
		matmul(H, H, T, m);
		sw = H;
		H = T;
		T = sw;
		hexpnt *= 2;
		if (fabs(H[(size_t)(k - 1) * m + (k - 1)]) > KS_P128) {
			for (r = 0; r < m * m; r++)
				H[r] /= KS_P128;
			hexpnt += KS_E128;
		}
	}

	/* times n!/n^n, keeping p inside range */
	p = P[(size_t)(k - 1) * m + (k - 1)];
	for (i = 1; i <= n; i++) {
		p = (long double)i * p / (long double)n;
		if (fabsl(p) < (long double)KS_M128) {
			p *= (long double)KS_P128;
			expnt -= KS_E128;
		}
	}
	if (expnt != 0)
		p = ldexpl(p, (int)expnt);
	p_d = clip01((double)p);
out:
	free(H);
	free(P);
	free(T);
	free(v);
	free(w);
	return p_d;
}

static void pomeranz_j1j2(long i, long n, long ll, long ceilf, long roundf,
			  long *j1, long *j2)
{
	long a, b;

	if (i == 0) {
		a = -ll - ceilf - 1;
		b = ll + ceilf - 1;
	} else {
		long half = (i + 1) / 2;

		if ((i + 1) % 2 == 0) {
			if (half == n + 1) {
				a = n - ll - ceilf - 1;
				b = n + ll + ceilf - 1;
			} else {
				a = half - 1 - ll - roundf - 1;
				b = half + ll - 1 + ceilf - 1;
			}
		} else {
			a = half - 1 - ll - 1;
			b = half + ll + roundf - 1;
		}
	}
	*j1 = a + 2 > 0 ? a + 2 : 0;
	*j2 = b < n ? b : n;
}

/* Pr(D_n <= d) by the Pomeranz (1974) recursion: 2n+1 rows, each the
 * convolution of the previous one with (almost) Poisson weights. */
static double kolmogn_pomeranz_cdf(long n, double x)
{
	double t = (double)n * x, f, g, gn, g2n, om2gn;
	long ll = (long)floor(t), ceilf, roundf, npw, i, j1, j2, expnt = 0;
	long v0s = 0, v1s = 0;
	double *buf = NULL, *gp, *g2p, *om2gp, *V0, *V1;
	long double ans;
	double res;

	f = t - (double)ll;
	g = fmin(f, 1.0 - f);
	ceilf = f > 0 ? 1 : 0;
	roundf = f > 0.5 ? 1 : 0;
	npw = 2 * (ll + 1);
	buf = calloc((size_t)npw * 5, sizeof(double));
	if (!buf)
		return NAN;
	gp = buf;
	g2p = buf + npw;
	om2gp = buf + 2 * npw;
	V0 = buf + 3 * npw;
	V1 = buf + 4 * npw;

	gp[0] = g2p[0] = om2gp[0] = 1.0;
	gn = g / n;
	g2n = 2 * g / n;
	om2gn = (1 - 2 * g) / n;
	for (i = 1; i < npw; i++) {
		gp[i] = gp[i - 1] * gn / i;
		g2p[i] = g2p[i - 1] * g2n / i;
		om2gp[i] = om2gp[i - 1] * om2gn / i;
	}
	V1[0] = 1.0;
	pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
	for (i = 1; i < 2 * n + 2; i++) {
		long k1 = j1, ln2, tmp, off, seglen, plen, cs, cl, q;
		const double *pw;
		double *sw, vmax;

		sw = V0;
		V0 = V1;
		V1 = sw;
		tmp = v0s;
		v0s = v1s;
		v1s = tmp;
		memset(V1, 0, sizeof(double) * (size_t)npw);
		pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
		if (i == 1 || i == 2 * n + 1)
			pw = gp;
		else
			pw = (i % 2) ? g2p : om2gp;
		ln2 = j2 - k1 + 1;
		if (ln2 <= 0)
			continue;
		/* numpy slice semantics: both operands are cut at npw */
		off = k1 - v0s;
		if (off < 0 || off > npw) {
			res = NAN;
			goto out;
		}
		seglen = ln2 < npw - off ? ln2 : npw - off;
		plen = ln2 < npw ? ln2 : npw;
		cs = j1 - k1;
		cl = j2 - j1 + 1;
		if (cl > npw || cs < 0) {
			res = NAN;
			goto out;
		}
		vmax = 0.0;
		for (q = 0; q < cl; q++) {
			long tt = cs + q, a, lo, hi;
			double s = 0.0;

			lo = tt - (plen - 1) > 0 ? tt - (plen - 1) : 0;
			hi = tt < seglen - 1 ? tt : seglen - 1;
			for (a = lo; a <= hi; a++)
				s += V0[off + a] * pw[tt - a];
			V1[q] = s;
			if (s > vmax)
				vmax = s;
		}
		if (vmax > 0 && vmax < KS_M128) {
			for (q = 0; q < npw; q++)
				V1[q] *= KS_P128;
			expnt -= KS_E128;
		}
		v1s = v0s + j1 - k1;
	}
	if (n - v1s < 0 || n - v1s >= npw) {
		res = NAN;
		goto out;
	}
	ans = V1[n - v1s];
	for (i = 1; i <= n; i++) {
		if (fabsl(ans) > (long double)KS_P128) {
			ans *= (long double)KS_M128;
			expnt += KS_E128;
		}
		ans *= i;
	}
	if (expnt != 0)
		ans = ldexpl(ans, (int)expnt);
	res = clip01((double)ans);
out:
	free(buf);
	return res;
}

/* Pelz-Good (1976) approximation to Pr(D_n <= x): the Li-Chien/Korolyuk
 * expansion K0 + K1/sqrt(n) + K2/n + K3/n^1.5 rewritten with Jacobi theta
 * identities so that it converges for small z = sqrt(n) x. */
static double kolmogn_pelzgood_cdf(long n, double x)
{
	double z, z2, z3, z4, z6, qlog, q, K[4], k1a, k1b, k2a, k2b, k2c;
	double k3a, k3b, k3c, k3d, s2 = 0, s3 = 0, sq3z, sum;
	const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
	const double sqrt2pi = sqrt(2 * M_PI);
	long k, maxk;
	int i;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	z = sqrt((double)n) * x;
	z2 = z * z;
	z3 = z2 * z;
	z4 = z2 * z2;
	z6 = z4 * z2;
	qlog = -pi2 / 8 / z2;
	if (qlog < KS_MIN_LOG)
		return 0.0;
	q = exp(qlog);

	k1a = -z2;
	k1b = pi2 / 4;
	k2a = 6 * z6 + 2 * z4;
	k2b = (2 * z4 - 5 * z2) * pi2 / 4;
	k2c = pi4 * (1 - 2 * z2) / 16;
	k3d = pi6 * (5 - 30 * z2) / 64;
	k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
	k3b = pi2 * (135 * z4 - 96 * z6) / 4;
	k3a = -30 * z6 - 90 * pow(z, 8);

	/* Horner in q^(8k) over odd m = 2k-1 */
	K[0] = K[1] = K[2] = K[3] = 0.0;
	maxk = (long)ceil(16 * z / M_PI);
	for (k = maxk; k > 0; k--) {
		double m = 2.0 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
		double qp = pow(q, 8.0 * k);

		K[0] = K[0] * qp + 1.0;
		K[1] = K[1] * qp + (k1a + k1b * m2);
		K[2] = K[2] * qp + (k2a + k2b * m2 + k2c * m4);
		K[3] = K[3] * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
	}
	for (i = 0; i < 4; i++)
		K[i] = K[i] * q * sqrt2pi;
	K[0] /= z;
	K[1] /= 6 * z4;
	K[2] /= 72 * pow(z, 7);
	K[3] /= 6480 * pow(z, 10);

	/* the remaining sums over all integers k */
	q = exp(-pi2 / 2 / z2);
	sq3z = sqrt(3.0) * z;
	for (k = maxk; k > 0; k--) {
		double kk = (double)k * (double)k, kpi = M_PI * (double)k;
		double qk = pow(q, kk);

		s2 += kk * qk;
		s3 += (sq3z + kpi) * (sq3z - kpi) * kk * qk;
	}
	K[2] += s2 * (pi2 * sqrt2pi / (-36 * z3));
	K[3] += s3 * (pi2 * sqrt2pi / (216 * z6));
	sum = 0.0;
	for (i = 0; i < 4; i++)
		sum += K[i] / pow((double)n, i / 2.0);
	return sum;
}

/* Smirnov's one-sided sf Pr(D_n^+ >= x) (Birnbaum-Tingey sum):
 *   x * sum_{v=0}^{floor(n(1-x))} C(n,v) (1-x-v/n)^(n-v) (x+v/n)^(v-1).
 * Terms are formed in log space, with n*x split exactly (floor plus
 * fraction alpha) so 1-x-v/n is accurate near its zero. */
static double smirnov_sf(long n, double x)
{
	double hi, lo, fl, alpha, dn = (double)n;
	double sum = 0, sum_c = 0, logc = 0, logc_c = 0;
	long nxfl, last, v;

	if (!(n > 0 && x >= 0.0 && x <= 1.0))
		return NAN;
	if (n == 1)
		return 1 - x;
	if (x == 0.0)
		return 1.0;
	if (x == 1.0)
		return 0.0;

	hi = (double)n * x;
	lo = fma((double)n, x, -hi);
	fl = floor(hi);
	alpha = (hi - fl) + lo;
	if (alpha < 0) {
		fl -= 1;
		alpha += 1;
	}
	if (alpha >= 1) {
		fl += 1;
		alpha = 0;
	}
	nxfl = (long)fl;

	if (nxfl == 0 || (nxfl == 1 && alpha == 0)) {
		double cdf = (double)((long double)x *
				      powl(1.0L + x, (long double)(n - 1)));
		return clip01(1 - cdf);
	}
	if (-2 * n * x * x < KS_CEPHES_MINLOG)
		return 0.0;
	if (nxfl >= n - 1)
		return clip01((double)powl(1.0L - x, (long double)n));
	if (n > KS_SMIRNOV_MAX_N) {
		/* scipy's approximation p ~ exp(-(6nx+1)^2 / 18n) */
		double logp = -pow(6.0 * n * x + 1, 2) / 18.0 / n;

		if (logp < -M_LN2)
			return exp(logp);
		return 1 - (-expm1(logp));
	}

	/* in double, five times faster than in long double: log(a/n) as
	 * log1p(-b/n) and log(b/n) directly (no large logs to cancel), the
	 * sums compensated (Kahan); within 4e-12 relative of the long
	 * double loop over n = 141..1e6 and n x^2 = 2.2..360 */
	last = n - nxfl - 1;
	for (v = 0; v <= last; v++) {
		double b = (double)(nxfl + v) + alpha;
		double lt = logc + ((double)(n - v) * log1p(-b / dn) +
				    (double)(v - 1) * log(b / dn));
		double term = exp(lt), y, t, inc;

		y = term - sum_c;
		t = sum + y;
		sum_c = (t - sum) - y;
		sum = t;
		/* stop once the tail cannot matter at double precision */
		if (term != 0 && v != last && 4.0 * (double)(last + 1 - v) * term < DBL_EPSILON * sum)
			break;
		if (term == 0 && v > n / 2)
			break;
		inc = log((double)(n - v) / (double)(v + 1)) - logc_c;
		t = logc + inc;
		logc_c = (t - logc) - inc;
		logc = t;
	}
	return clip01(x * sum);
}

/* sf of D_n for integral n >= 1 and 0 < x < 1 (scipy's _kolmogn). */
static double kolmogn_sf(long n, double x)
{
	double t = (double)n * x, nx2, prob, cdf;

	if (x >= 1.0)
		return 0.0;
	if (x <= 0.0)
		return 1.0;
	if (t <= 1.0) {
		if (t <= 0.5)
			return 1.0;
		if (n <= 140) {
			long i;

			prob = 1.0;
			for (i = 1; i <= n; i++)
				prob *= (double)i * (1.0 / n) * (2 * t - 1);
		} else {
			prob = exp(log_nfact_div_npown((double)n) +
				   n * log(2 * t - 1));
		}
		return clip01(1.0 - prob);
	}
	if (t >= n - 1)
		return clip01(2 * pow(1.0 - x, (double)n));
	if (x >= 0.5)
		return clip01(2 * smirnov_sf(n, x));

	nx2 = t * x;
	if (n <= 140) {
		if (nx2 <= 0.754693)
			return clip01(1.0 - kolmogn_dmtw_cdf(n, x));
		if (nx2 <= 4)
			return clip01(1.0 - kolmogn_pomeranz_cdf(n, x));
		return clip01(2 * smirnov_sf(n, x));
	}
	if (nx2 >= 370.0)
		return 0.0;
	if (nx2 >= 2.2)
		return clip01(2 * smirnov_sf(n, x));
	if (n <= 100000 && n * pow(x, 1.5) <= 1.4)
		cdf = kolmogn_dmtw_cdf(n, x);
	else
		cdf = kolmogn_pelzgood_cdf(n, x);
	return clip01(1.0 - cdf);
}

double ks_kstwo_sf(double d, double n)
{
	if (isnan(d) || isnan(n))
		return NAN;
	/* kstwo's shape must be an integer >= 1 (scipy returns nan) */
	if (!(n >= 1) || n != floor(n) || n > KS_KSTWO_MAX_N)
		return NAN;
	if (d <= 0.5 / n)
		return 1.0;
	if (!(d < 1.0))
		return 0.0;
	return kolmogn_sf((long)n, d);
}
