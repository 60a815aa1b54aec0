// tests/gen-types/zod-use.ts — for test_gen_types: the zod schemas of
// `gen types --lang zod` (./database) agree with the TypeScript types of
// `gen types` (./types) table by table, part by part, under tsc --strict;
// and at run time (node) a valid row is accepted and invalid ones rejected.
import { z } from "zod"
import { Database as Z } from "./database"
import type { Database as T } from "./types"

type ZDB = typeof Z
type Eq<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Parts<X> = { [P in keyof X]: X[P] extends z.ZodType ? z.infer<X[P]> : never }
type Same<S extends keyof ZDB & keyof T, K extends "Tables" | "Views"> = {
  [N in keyof ZDB[S][K] & keyof T[S][K]]: Eq<Parts<ZDB[S][K][N]>, Omit<T[S][K][N], "Relationships">>
}
type AllTrue<X> = X extends Record<PropertyKey, true> ? true : false
export const sameSchemas: Eq<keyof ZDB, keyof T> = true
export const sameTables: Eq<keyof ZDB["public"]["Tables"], keyof T["public"]["Tables"]> = true
export const sameViews: Eq<keyof ZDB["public"]["Views"], keyof T["public"]["Views"]> = true
export const sameOther: Eq<keyof ZDB["other"]["Tables"], keyof T["other"]["Tables"]> = true
export const publicTables: AllTrue<Same<"public", "Tables">> = true
export const publicViews: AllTrue<Same<"public", "Views">> = true
export const otherTables: AllTrue<Same<"other", "Tables">> = true
export const enums: Eq<z.infer<typeof Z.public.Enums.mood>, T["public"]["Enums"]["mood"]> = true
export const composites: Eq<z.infer<typeof Z.public.CompositeTypes.address>, T["public"]["CompositeTypes"]["address"]> = true

const people = Z.public.Tables.people
const row = {
  amount: 1.5, at_time: null, big: 9, blob: null, born: "2020-01-01", cash: "$1.00", data: { a: [1, null, "x"] },
  email: null, flag: true, grid: [1, 2], home: { street: "Main", zip: 1, tags: ["a"], m: "ok" }, id: 1,
  ip: "10.0.0.1", mood: "very happy", moods: ["sad"], name: "Ann", raw: [true], score: null, seen: null,
  select: 3, small: null, span: null, tags: [], uid: "u", upper_name: "ANN", vec: null, weight: null,
  'Weird "Col"': null, "with space": "x", 名前: null, get_mood: null,
}
const results = [
  people.Row.safeParse(row).success,                                  // valid
  !people.Row.safeParse({ ...row, mood: "angry" }).success,           // not a label
  !people.Row.safeParse({ ...row, name: null }).success,              // NOT NULL
  !people.Row.safeParse({ ...row, raw: null }).success,               // NOT NULL json
  !people.Row.safeParse({ ...row, home: { ...row.home, zip: "1" } }).success, // composite attribute
  people.Insert.safeParse({ flag: false, name: "Bo" }).success,       // defaults are optional
  !people.Insert.safeParse({ flag: false, name: "Bo", id: 5 }).success, // identity ALWAYS: never
  !people.Insert.safeParse({ name: "Bo" }).success,                   // NOT NULL, no default
  Z.public.Tables["Odd Table"].Row.safeParse({ ID: 1, "x'y": null }).success,
  !Z.public.Tables["Odd Table"].Row.safeParse({ ID: "1", "x'y": null }).success,
]
const failed = results.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0)
if (failed.length) {
  throw new Error("zod checks failed: " + failed.join(" "))
}
console.log("zod checks passed: " + results.length)
