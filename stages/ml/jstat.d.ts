// The part of jstat (no types of its own) that stats.ts uses.
declare module "jstat" {
  const jstat: {
    readonly jStat: JStat
  }
  export default jstat
  interface JStat {
    readonly studentt: {
      /** the quantile of Student's t at probability p on df degrees of freedom */
      readonly inv: (p: number, df: number) => number
      /** the distribution function of Student's t on df degrees of freedom */
      readonly cdf: (x: number, df: number) => number
    }
  }
}
