import assert from "node:assert/strict";
import { globToRegExp } from "./_glob.ts";

Deno.test("globToRegExp() matches * over any run of characters", () => {
  const re = globToRegExp("*.txt");
  assert.ok(re.test("a.txt"));
  assert.ok(re.test(".txt"));
  assert.ok(re.test("many.dots.txt"));
  assert.ok(!re.test("a.txt.gz"));
  assert.ok(!re.test("a_txt"));
  assert.ok(!re.test("dir/a.txt"));
});

Deno.test("globToRegExp() matches ? with exactly one character", () => {
  const re = globToRegExp("part_?");
  assert.ok(re.test("part_1"));
  assert.ok(re.test("part_é"));
  assert.ok(re.test("part_😀"));
  assert.ok(!re.test("part_"));
  assert.ok(!re.test("part_12"));
});

Deno.test("globToRegExp() treats regular-expression characters literally", () => {
  const re = globToRegExp("a+b(1)[x]{2}^$|\\.csv");
  assert.ok(re.test("a+b(1)[x]{2}^$|\\.csv"));
  assert.ok(!re.test("aab(1)[x]{2}^$|\\.csv"));
  assert.ok(globToRegExp("*").test(""));
  assert.ok(globToRegExp("").test(""));
  assert.ok(!globToRegExp("").test("a"));
});
