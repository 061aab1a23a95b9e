import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { STACK_FILES_VARIABLE, stackFiles, stackFilesFromEnvironment, stackFilesValue } from ".";

const PROJECT = path.resolve("/projects/envstack");
const SOURCE = `environment variable ${STACK_FILES_VARIABLE}`;
const env = (value: string | undefined) => ({ [STACK_FILES_VARIABLE]: value });

describe("stackFilesFromEnvironment: the stack files the program reads", () => {
  it.each([undefined, "", "  "])("is the committed files when the variable is %j", (value) => {
    expect(stackFilesFromEnvironment(PROJECT, env(value))).toEqual({
      dev: path.join(PROJECT, "Pulumi.dev.yaml"),
      stage: path.join(PROJECT, "Pulumi.stage.yaml"),
      prod: path.join(PROJECT, "Pulumi.prod.yaml"),
    });
  });

  it("replaces the stacks it names, relative paths from the project directory", () => {
    const value = JSON.stringify({ stage: "review/Pulumi.stage.yaml", dev: "/elsewhere/dev.yaml" });
    expect(stackFilesFromEnvironment(PROJECT, env(value))).toEqual({
      dev: "/elsewhere/dev.yaml",
      stage: path.join(PROJECT, "review", "Pulumi.stage.yaml"),
      prod: path.join(PROJECT, "Pulumi.prod.yaml"),
    });
  });

  it("reads back exactly the files stackFilesValue wrote (what the gate hands the program)", () => {
    const files = stackFiles("/tmp/scratch", { stage: "/tmp/edited/Pulumi.stage.yaml" });
    expect(stackFilesFromEnvironment(PROJECT, env(stackFilesValue(files)))).toEqual(files);
  });

  it.each<[string, string, string[]]>([
    [
      "not JSON",
      "stage=Pulumi.stage.yaml",
      [
        `${SOURCE}: (value): expected a JSON map of stack names to stack files, such as {"stage": "Pulumi.stage.yaml"}, found string "stage=Pulumi.stage.yaml", which is not JSON`,
      ],
    ],
    [
      "a list",
      '["Pulumi.stage.yaml"]',
      [
        `${SOURCE}: (value): expected a JSON map of stack names to stack files, such as {"stage": "Pulumi.stage.yaml"}, found a list of 1`,
      ],
    ],
    [
      "an unknown stack",
      '{"qa": "Pulumi.qa.yaml"}',
      [
        `${SOURCE}: qa: expected one of dev, stage, prod, found unknown key with string "Pulumi.qa.yaml"`,
      ],
    ],
    [
      "a path that is no string, and an empty one",
      '{"stage": 3, "prod": ""}',
      [
        `${SOURCE}: stage: expected the path of a stack file (a string), found number 3`,
        `${SOURCE}: prod: expected the path of a stack file (a non-empty string), found string ""`,
      ],
    ],
  ])("refuses %s, naming the variable, the key, expected and found", (_what, value, messages) => {
    expect(() => stackFilesFromEnvironment(PROJECT, env(value))).toThrow(messages.join("\n"));
  });
});
