//! Hoare's systolic matrix multiplier (CSP 6.2): a grid of processes, one per element
//! of the matrix A (n x n). Each row vector x of the input flows in from the west,
//! one component per grid row; each process multiplies the component passing
//! through by its element of A, adds it to the partial sum coming from the north, and
//! passes the component east and the sum south. The sums leaving the south edge are
//! x·A. Streaming the rows of B through the grid computes B·A.
//!
//! ```sh
//! cargo run --release --example matrix -- 4     # multiply two 4 x 4 matrices
//! ```

use std::thread;

type Matrix = Vec<Vec<i64>>;

/// Multiplies `b` (m x n) by `a` (n x n) with one process per element of `a`.
fn systolic(b: &Matrix, a: &Matrix) -> Matrix {
    let n = a.len();
    // west[i][j]: into process (i, j) from the west; north[i][j]: from the north.
    let west: Vec<Vec<_>> = (0..n)
        .map(|_| (0..=n).map(|_| csp_channel::bounded::<i64>(0)).collect())
        .collect();
    let north: Vec<Vec<_>> = (0..=n)
        .map(|_| (0..n).map(|_| csp_channel::bounded::<i64>(0)).collect())
        .collect();
    for i in 0..n {
        for j in 0..n {
            let (x_in, x_out) = (west[i][j].1.clone(), west[i][j + 1].0.clone());
            let (sum_in, sum_out) = (north[i][j].1.clone(), north[i + 1][j].0.clone());
            let aij = a[i][j];
            thread::spawn(move || {
                // Each round: one component of x in, one partial sum in.
                while let (Ok(x), Ok(sum)) = (x_in.recv(), sum_in.recv()) {
                    if sum_out.send(sum + aij * x).is_err() {
                        return;
                    }
                    let _ = x_out.send(x); // the east edge sinks it
                }
            });
        }
        // The east edge: a sink for the components that have crossed the grid.
        let sink = west[i][n].1.clone();
        thread::spawn(move || for _ in sink {});
    }
    // The north edge sources zeros; the west edge sources the rows of b.
    let zeros: Vec<_> = (0..n).map(|j| north[0][j].0.clone()).collect();
    let inputs: Vec<_> = (0..n).map(|i| west[i][0].0.clone()).collect();
    let outputs: Vec<_> = (0..n).map(|j| north[n][j].1.clone()).collect();
    drop((west, north));
    // One source of zeros per column, one feeder for the rows: all concurrent, as the
    // grid's edges are in CSP.
    let rounds = b.len();
    for zero in zeros {
        thread::spawn(move || (0..rounds).for_each(|_| zero.send(0).unwrap()));
    }
    let rows = b.clone();
    let feeder = thread::spawn(move || {
        for row in rows {
            for (input, x) in inputs.iter().zip(row) {
                input.send(x).unwrap();
            }
        }
    });
    let product = b
        .iter()
        .map(|_| outputs.iter().map(|out| out.recv().unwrap()).collect())
        .collect();
    feeder.join().unwrap();
    product
}

fn multiply(b: &Matrix, a: &Matrix) -> Matrix {
    let n = a.len();
    b.iter()
        .map(|row| {
            (0..n)
                .map(|j| (0..n).map(|k| row[k] * a[k][j]).sum())
                .collect()
        })
        .collect()
}

fn example(n: usize) -> (Matrix, Matrix) {
    let a = (0..n)
        .map(|i| (0..n).map(|j| (i * n + j) as i64 % 7 - 3).collect())
        .collect();
    let b = (0..n)
        .map(|i| (0..n).map(|j| (i + 2 * j) as i64 % 5 - 2).collect())
        .collect();
    (a, b)
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .map_or(4, |a| a.parse().expect("usage: matrix [N]"));
    let (a, b) = example(n);
    let product = systolic(&b, &a);
    for row in &product {
        println!(
            "{}",
            row.iter().map(|v| format!("{v:5}")).collect::<String>()
        );
    }
    println!(
        "matches the sequential product: {}",
        product == multiply(&b, &a)
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_grid_computes_the_product() {
        let a = vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 10]];
        let b = vec![vec![1, 0, 0], vec![0, 1, 0], vec![2, -1, 3]];
        let product = super::systolic(&b, &a);
        assert_eq!(
            product,
            vec![vec![1, 2, 3], vec![4, 5, 6], vec![19, 23, 30]]
        );
        let (a, b) = super::example(5);
        assert_eq!(super::systolic(&b, &a), super::multiply(&b, &a));
    }
}
