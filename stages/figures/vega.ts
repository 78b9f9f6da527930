/**
 * Rendering Vega-Lite specs to figures: SVG from Vega's headless renderer, PNG from resvg. Text
 * uses DejaVu Sans, shipped as an npm package and handed to resvg explicitly, so a PNG made on a
 * machine without system fonts has the same text as one made here. Vega and resvg load on first
 * use: a pipeline that draws nothing never pays for them.
 */
import { createRequire } from "node:module"
import type { Artifact } from "../../src/index.ts"
import { Schema } from "effect"

export const FONT = "DejaVu Sans"

/** How figures look; changing it re-renders figures and nothing upstream of them. */
export const Style = Schema.Struct({
  width: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  height: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Vega color scheme for categories, e.g. "tableau10", "set1", "dark2" */
  scheme: Schema.String,
  /** What the x axis of size plots shows: parameters, or training compute including pretraining */
  x: Schema.Literals(["params", "compute"]),
  /** PNG pixels per SVG pixel */
  scale: Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(8))
})
export type Style = typeof Style.Type

const fontFiles = (): Array<string> => {
  const require = createRequire(import.meta.url)
  return ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`))
}

/** A CommonJS package imported from ES modules or from the bundle: its exports either way. */
const interop = <T extends object>(mod: T, probe: string): T => (probe in mod ? mod : ((mod as { default?: T }).default ?? mod))

/** The Vega-Lite config every figure shares: one font, readable sizes. */
export const baseConfig = (style: Style) => ({
  font: FONT,
  background: "white",
  padding: 12,
  view: { width: style.width, height: style.height, stroke: "#bbb" },
  range: { category: { scheme: style.scheme } },
  title: { fontSize: 15, anchor: "start", subtitleFontSize: 12, subtitleColor: "#555", offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", labelLimit: 320, titleLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 }
})

/** Renders a Vega-Lite spec (without config; the shared one is added) to SVG and PNG. */
export const render = async (title: string, spec: Record<string, unknown>, style: Style): Promise<Artifact.Figure> => {
  const vl = interop(await import("vega-lite"), "compile")
  const vega = interop(await import("vega"), "View")
  const compiled = vl.compile({ ...spec, config: baseConfig(style) } as unknown as Parameters<typeof vl.compile>[0]).spec
  const view = new vega.View(vega.parse(compiled), { renderer: "none" })
  try {
    const svg = await view.toSVG()
    return { title, svg, png: await rasterize(svg, style.scale) }
  } finally {
    view.finalize()
  }
}

/** An SVG as PNG, `scale` pixels per SVG pixel, text in the bundled font. */
export const rasterize = async (svg: string, scale: number): Promise<Uint8Array> => {
  const { Resvg } = interop(await import("@resvg/resvg-js"), "Resvg")
  const png = new Resvg(svg, {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
    fitTo: { mode: "zoom", value: scale },
    background: "white"
  }).render().asPng()
  return new Uint8Array(png)
}
