/** Gymnasium's `InvalidBound` checks for the normalization wrappers. */

export function checkEpsilon(owner: string, epsilon: number): number {
  // epsilon sits under the square root to keep the division away from zero
  if (!(epsilon > 0)) throw new RangeError(`${owner}: epsilon must be strictly positive, got ${epsilon}`);
  return epsilon;
}

export function checkGamma(owner: string, gamma: number): number {
  // the accumulator is multiplied by gamma every step: above 1 it diverges, below 0 it flips sign
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`${owner}: gamma must be in [0, 1], got ${gamma}`);
  return gamma;
}
