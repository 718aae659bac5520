//! The systolic array's bit-exact software model: the golden matmul every simulation of the
//! array is compared with.
//!
//! Arithmetic (the array's contract): operands are signed `in_bits` two's complement values,
//! each product is the full signed `in_bits x in_bits` product, and products are accumulated
//! modulo 2^`acc_bits` (wrapping two's complement, no saturation); results are read back as
//! signed `acc_bits` values.

use super::SystolicConfig;
use crate::error::{Error, Result};
use rand::{Rng, RngExt};

/// A row-major matrix of integers with its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mat {
    rows: usize,
    cols: usize,
    data: Vec<i64>,
}

impl Mat {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Mat { rows, cols, data: vec![0; rows * cols] }
    }

    /// A matrix from row-major data; the length must be `rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<i64>) -> Result<Self> {
        if data.len() != rows * cols {
            return Err(Error::invalid(
                "matrix data length",
                data.len(),
                format!("must be rows x cols = {rows} x {cols} = {}", rows * cols),
            ));
        }
        Ok(Mat { rows, cols, data })
    }

    /// Every element equal to `v`.
    pub fn filled(rows: usize, cols: usize, v: i64) -> Self {
        Mat { rows, cols, data: vec![v; rows * cols] }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn data(&self) -> &[i64] {
        &self.data
    }

    /// Element (i, j); panics outside the shape (a programming error, not user input).
    pub fn at(&self, i: usize, j: usize) -> i64 {
        assert!(i < self.rows && j < self.cols, "({i}, {j}) outside {}x{}", self.rows, self.cols);
        self.data[i * self.cols + j]
    }

    /// Element (i, j), or 0 outside the shape: the zero padding of edge tiles.
    pub fn at_or_zero(&self, i: usize, j: usize) -> i64 {
        if i < self.rows && j < self.cols {
            self.data[i * self.cols + j]
        } else {
            0
        }
    }

    pub fn set(&mut self, i: usize, j: usize, v: i64) {
        assert!(i < self.rows && j < self.cols, "({i}, {j}) outside {}x{}", self.rows, self.cols);
        self.data[i * self.cols + j] = v;
    }

    /// Uniformly random signed `bits`-wide elements.
    pub fn random(rows: usize, cols: usize, bits: u32, rng: &mut impl Rng) -> Self {
        let (lo, hi) = signed_range(bits);
        Mat { rows, cols, data: (0..rows * cols).map(|_| rng.random_range(lo..=hi)).collect() }
    }
}

/// The range of a signed two's complement value of `bits` bits (1..=63).
pub fn signed_range(bits: u32) -> (i64, i64) {
    (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
}

/// `v` modulo 2^`bits`, read back as a signed `bits`-wide value (1..=64).
pub fn wrap_signed(v: i64, bits: u32) -> i64 {
    if bits >= 64 {
        v
    } else {
        let shift = 64 - bits;
        (v << shift) >> shift
    }
}

/// The golden product `A x B` with the array's arithmetic for `cfg`: operands must be in the
/// signed `in_bits` range, and each result is the wrapped `acc_bits` sum.
pub fn matmul_ref(a: &Mat, b: &Mat, cfg: &SystolicConfig) -> Result<Mat> {
    if a.cols != b.rows {
        return Err(Error::invalid(
            "matrix shapes",
            format!("{}x{} times {}x{}", a.rows, a.cols, b.rows, b.cols),
            "A's columns must equal B's rows",
        ));
    }
    let (lo, hi) = signed_range(cfg.in_bits);
    for (name, m) in [("A", a), ("B", b)] {
        if let Some(v) = m.data.iter().find(|v| !(lo..=hi).contains(*v)) {
            return Err(Error::invalid(format!("element of {name}"), v, format!("allowed: {lo}..={hi} ({} bits signed)", cfg.in_bits)));
        }
    }
    let mut c = Mat::zeros(a.rows, b.cols);
    for i in 0..a.rows {
        for j in 0..b.cols {
            // Wrapping i64 sums agree with sums modulo 2^acc_bits (acc_bits <= 64).
            let s = (0..a.cols).fold(0i64, |s, k| s.wrapping_add(a.at(i, k) * b.at(k, j)));
            c.data[i * b.cols + j] = wrap_signed(s, cfg.acc_bits);
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::matmul::SystolicParams;
    use rand::SeedableRng;

    fn cfg(in_bits: u32, acc_bits: u32) -> SystolicConfig {
        SystolicConfig::try_from(SystolicParams { rows: 2, cols: 2, in_bits, acc_bits }).unwrap()
    }

    #[test]
    fn small_product_by_hand() {
        let a = Mat::from_vec(2, 3, vec![1, -2, 3, -4, 5, -6]).unwrap();
        let b = Mat::from_vec(3, 2, vec![7, -8, 9, 10, -11, 12]).unwrap();
        let c = matmul_ref(&a, &b, &cfg(8, 32)).unwrap();
        // row 0: 7 - 18 - 33 = -44, -8 - 20 + 36 = 8; row 1: -28 + 45 + 66 = 83, 32 + 50 - 72 = 10
        assert_eq!(c, Mat::from_vec(2, 2, vec![-44, 8, 83, 10]).unwrap());
    }

    #[test]
    fn accumulator_wraps_modulo_acc_bits() {
        // 3 x (127 x 127) = 48387 wraps in 16 bits to 48387 - 65536 = -17149.
        let a = Mat::filled(1, 3, 127);
        let b = Mat::filled(3, 1, 127);
        assert_eq!(matmul_ref(&a, &b, &cfg(8, 16)).unwrap().at(0, 0), -17149);
        assert_eq!(matmul_ref(&a, &b, &cfg(8, 32)).unwrap().at(0, 0), 48387);
        // (-128) x (-128) x 2 = 32768 is just outside 16-bit signed range.
        let a = Mat::filled(1, 2, -128);
        assert_eq!(matmul_ref(&a, &Mat::filled(2, 1, -128), &cfg(8, 16)).unwrap().at(0, 0), -32768);
        // 16-bit operands into 48 bits: 4096 x (-32768)^2 = 2^42, no wrap.
        let a = Mat::filled(1, 4096, -32768);
        let b = Mat::filled(4096, 1, -32768);
        assert_eq!(matmul_ref(&a, &b, &cfg(16, 48)).unwrap().at(0, 0), 1 << 42);
        assert_eq!(wrap_signed(1 << 47, 48), -(1 << 47));
    }

    #[test]
    fn rejects_bad_shapes_and_values() {
        let e = matmul_ref(&Mat::zeros(2, 3), &Mat::zeros(2, 3), &cfg(8, 32)).unwrap_err();
        assert_eq!(e.to_string(), "matrix shapes 2x3 times 2x3 is not allowed (A's columns must equal B's rows)");
        let e = matmul_ref(&Mat::filled(1, 1, 128), &Mat::zeros(1, 1), &cfg(8, 32)).unwrap_err();
        assert_eq!(e.to_string(), "element of A 128 is not allowed (allowed: -128..=127 (8 bits signed))");
        let e = Mat::from_vec(2, 2, vec![1]).unwrap_err();
        assert_eq!(e.to_string(), "matrix data length 1 is not allowed (must be rows x cols = 2 x 2 = 4)");
    }

    #[test]
    fn random_matrices_are_seeded_and_in_range() {
        let m1 = Mat::random(5, 7, 4, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
        let m2 = Mat::random(5, 7, 4, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
        assert_eq!(m1, m2);
        assert!(m1.data().iter().all(|v| (-8..=7).contains(v)));
        assert!(m1.data().iter().any(|&v| v < 0) && m1.data().iter().any(|&v| v > 0));
    }
}
