// wengert explore: draws the engine's model of an expression and steps through it.
// Every number shown comes from the model the server (or the static page) provides; this script
// only draws, steps and asks the server again when a slider moves. It computes no value itself.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const config = JSON.parse(document.getElementById("explore-config").textContent);
  const isStatic = config.mode === "static";
  const $ = (id) => document.getElementById(id);
  const state = {
    model: null, expr: "", ranges: {}, at: {},
    forward: 0, backward: 0, mode: "reverse", seed: null,
    request: 0, version: 0, timer: null,
  };

  // -- text helpers (formatting only: the numbers' text comes from the engine) --------------------
  const minus = (text) => String(text).replace(/^-/, "−");
  const sub = (id) => id.replace(/^v/, "");
  const bar = (id) => (id.startsWith("v") ? "v̄" + sub(id) : id + "̄");
  const dot = (id) => (id.startsWith("v") ? "v̇" + sub(id) : id + "̇");
  // The contributions to one adjoint, written as a sum; more than three: the first, the last and how many.
  const sumText = (terms) => {
    const shown = terms.length > 3 ? [terms[0], terms[terms.length - 1]] : terms;
    const text = shown.map((t, k) => (k === 0 ? minus(t) : t.startsWith("-") ? " − " + t.slice(1) : " + " + t));
    return terms.length > 3 ? `${text[0]} + … ${text[1].trim()} (${terms.length} terms)` : text.join("");
  };
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svgEl = (tag, attrs, text) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // -- what the current step shows ---------------------------------------------------------------
  function counts() {
    const m = state.model;
    return { forward: m.forward_order.length, backward: m.backward.length };
  }
  const forwardDone = () => state.forward >= counts().forward;
  const backwardDone = () => state.backward >= counts().backward;

  // The contributions made so far, per receiving node, and the last adjoint after each.
  function adjointsSoFar() {
    const terms = {}, adjoint = {}, carried = {};
    state.model.backward.slice(0, state.backward).forEach((step) => {
      (terms[step.to] = terms[step.to] || []).push(step.contribution.text);
      adjoint[step.to] = step.adjoint.text;
      if (step.edge) carried[step.edge] = step.contribution.text;
    });
    return { terms, adjoint, carried };
  }

  // -- the graph ------------------------------------------------------------------------------------
  function drawGraph() {
    const m = state.model, layout = m.layout, svg = $("graph");
    svg.replaceChildren();
    const pad = 24;
    svg.setAttribute("viewBox", `${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`);
    // Fit the panel, but never shrink the text below 70%: a large graph scrolls instead.
    const room = $("graph-panel").clientWidth - 20;
    const smallest = 0.7 * (layout.width + 2 * pad);
    svg.style.width = room > 0 && smallest > room ? `${smallest}px` : "100%";
    svg.style.maxHeight = room > 0 && smallest > room ? "none" : "";
    const defs = svgEl("defs");
    for (const [name, colour] of [["arrow", "#7d8b99"], ["arrow-value", "#1d4ed8"], ["arrow-adjoint", "#6d28d9"]]) {
      const marker = svgEl("marker", { id: name, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
        markerHeight: 7, orient: "auto-start-reverse" });
      marker.appendChild(svgEl("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: colour }));
      defs.appendChild(marker);
    }
    svg.appendChild(defs);
    const order = m.forward_order;
    const evaluated = new Set(order.slice(0, state.forward));
    const outputShown = forwardDone();
    if (outputShown) evaluated.add(m.output.id);
    const currentForward = state.forward > 0 && state.backward === 0 ? order[state.forward - 1] : null;
    const currentStep = state.backward > 0 ? m.backward[state.backward - 1] : null;
    const { terms, adjoint, carried } = adjointsSoFar();
    const reverse = state.mode === "reverse";
    const tangents = !reverse && state.seed ? tangentRows() : {};

    const edgeLayer = svgEl("g", { class: "edges" });
    const labelLayer = svgEl("g", { class: "edge-labels" });
    for (const edge of m.edges) {
      const place = layout.edges[edge.id];
      const classes = ["edge"];
      let marker = "arrow";
      if (evaluated.has(edge.to)) classes.push("done");
      if (currentForward && edge.to === currentForward) { classes.push("current-forward"); marker = "arrow-value"; }
      if (carried[edge.id] !== undefined) classes.push("carried");
      const isCurrent = currentStep && currentStep.edge === edge.id;
      if (isCurrent) { classes.push("current-backward"); marker = "arrow-adjoint"; }
      const group = svgEl("g", { class: classes.join(" "), "data-edge": edge.id });
      group.appendChild(svgEl("path", { d: place.path, "marker-end": `url(#${marker})` }));
      edgeLayer.appendChild(group);
      // On a large graph only the current contribution is written on its edge (the table has them all).
      const labelled = m.edges.length <= 24 || isCurrent;
      if (reverse && labelled && carried[edge.id] !== undefined && place.label) {
        const text = minus(carried[edge.id]);
        const label = svgEl("g", { class: "edge-label" + (isCurrent ? " current" : ""), "data-edge": edge.id });
        const width = 8.2 * text.length + 12;
        label.appendChild(svgEl("rect", { x: place.label.x - width / 2, y: place.label.y - 11, width, height: 21, rx: 5 }));
        label.appendChild(svgEl("text", { x: place.label.x, y: place.label.y + 5, "text-anchor": "middle" }, text));
        labelLayer.appendChild(label);
      }
    }
    svg.appendChild(edgeLayer);

    const nodeLayer = svgEl("g", { class: "nodes" });
    const nodes = m.nodes.concat([{ id: m.output.id, kind: "output", expression: m.output.of, text: m.output.text }]);
    for (const node of nodes) {
      const box = layout.nodes[node.id];
      const classes = ["node", node.kind];
      if (evaluated.has(node.id)) classes.push("evaluated");
      if (node.id === currentForward) classes.push("current-forward");
      if (currentStep && currentStep.to === node.id) classes.push("current-backward");
      const gradientShown = reverse && node.kind === "input" && backwardDone() && state.backward > 0;
      if (gradientShown) classes.push("has-gradient");
      const group = svgEl("g", { class: classes.join(" "), "data-id": node.id });
      const x0 = box.x - box.width / 2, y0 = box.y - box.height / 2;
      if (node.kind === "output") {
        group.appendChild(svgEl("rect", { class: "outer", x: x0 - 4, y: y0 - 4, width: box.width + 8,
          height: box.height + 8, rx: 16 }));
      }
      group.appendChild(svgEl("rect", { class: "box", x: x0, y: y0, width: box.width, height: box.height,
        rx: node.kind === "operation" ? 8 : 14 }));
      const left = x0 + 12;
      group.appendChild(svgEl("text", { class: "node-title", x: left, y: y0 + 21 }, `${node.id} = ${node.expression}`));
      const valueText = evaluated.has(node.id) ? minus(node.text) : "·";
      group.appendChild(svgEl("text", { class: evaluated.has(node.id) ? "node-value" : "node-value pending",
        x: left, y: y0 + 43 }, "= " + valueText));
      const third = svgEl("text", { x: left, y: y0 + 64 });
      if (reverse && terms[node.id]) {
        const name = node.kind === "output" ? bar(node.id) : bar(node.id);
        if (gradientShown) {
          // One contribution: v̄ = gradient; several: v̄ = a + b = gradient (the shared input's sum).
          const several = terms[node.id].length > 1;
          const start = several ? `${name} = ${sumText(terms[node.id])} = ` : `${name} = `;
          third.appendChild(svgEl("tspan", { class: "node-adjoint node-contribs" }, start));
          third.appendChild(svgEl("tspan", { class: "node-grad" }, minus(m.gradient[node.name].text)));
        } else {
          const sum = terms[node.id].length > 1 ? sumText(terms[node.id]) + " = " : "";
          third.appendChild(svgEl("tspan", { class: "node-adjoint node-contribs" }, `${name} = ${sum}${minus(adjoint[node.id])}`));
        }
      } else if (reverse && gradientShown) {
        third.appendChild(svgEl("tspan", { class: "node-grad" }, `${bar(node.id)} = ${minus(m.gradient[node.name].text)}`));
      } else if (!reverse && evaluated.has(node.id)) {
        const id = node.kind === "output" ? node.expression : node.id;
        if (tangents[id] !== undefined) {
          const cls = node.kind === "output" ? "node-grad node-tangent" : "node-tangent";
          const label = node.kind === "output" ? `∂f/∂${state.seed}` : dot(node.id);
          third.appendChild(svgEl("tspan", { class: cls }, `${label} = ${minus(tangents[id].text)}`));
        }
      }
      group.appendChild(third);
      if (currentStep && currentStep.to === node.id && currentStep.accumulate && terms[node.id].length > 1) {
        const badge = svgEl("g", { class: "badge" });
        badge.appendChild(svgEl("rect", { x: x0 + box.width - 34, y: y0 - 12, width: 40, height: 22, rx: 11 }));
        badge.appendChild(svgEl("text", { x: x0 + box.width - 14, y: y0 + 4, "text-anchor": "middle" }, "+="));
        group.appendChild(badge);
      }
      nodeLayer.appendChild(group);
    }
    svg.appendChild(nodeLayer);
    svg.appendChild(labelLayer);
  }

  function tangentRows() {
    const rows = {};
    const block = state.model.tangents[state.seed];
    if (!block) return rows;
    for (const row of block.rows) rows[row.id] = row;
    const out = state.model.output.of;
    rows[out] = rows[out] || block.derivative;
    return rows;
  }

  // -- the tables -----------------------------------------------------------------------------------
  function drawTables() {
    const m = state.model, reverse = state.mode === "reverse";
    const list = $("list-table");
    list.replaceChildren();
    const head = el("tr");
    ["v", "expression", "value"].forEach((h) => head.appendChild(el("th", {}, h)));
    list.appendChild(head);
    const currentForward = state.forward > 0 && state.backward === 0 ? m.forward_order[state.forward - 1] : null;
    const currentStep = state.backward > 0 ? m.backward[state.backward - 1] : null;
    const byId = Object.fromEntries(m.nodes.map((n) => [n.id, n]));
    m.forward_order.forEach((id, k) => {
      const node = byId[id], done = k < state.forward;
      const row = el("tr", { "data-id": id, class: (done ? "done" : "") +
        (id === currentForward || (currentStep && currentStep.to === id) ? " current" : "") });
      row.appendChild(el("td", {}, id));
      row.appendChild(el("td", {}, "= " + node.expression));
      row.appendChild(el("td", { class: "num value" + (done ? "" : " pending") }, done ? minus(node.text) : "·"));
      list.appendChild(row);
    });
    const outRow = el("tr", { "data-id": m.output.id, class: forwardDone() ? "done" : "" });
    outRow.appendChild(el("td", {}, m.output.id));
    outRow.appendChild(el("td", {}, "= " + m.output.of));
    outRow.appendChild(el("td", { class: "num value" }, forwardDone() ? minus(m.output.text) : "·"));
    list.appendChild(outRow);

    const second = $("second-table");
    second.replaceChildren();
    const head2 = el("tr");
    if (reverse) {
      $("second-title").textContent = "Backward pass (the engine's order)";
      ["step", "update", "contribution", "adjoint"].forEach((h) => head2.appendChild(el("th", {}, h)));
      second.appendChild(head2);
      m.backward.forEach((step, k) => {
        const done = k < state.backward;
        const row = el("tr", { "data-step": step.step, class: (done ? "done" : "") +
          (k === state.backward - 1 ? " current" : "") + (step.accumulate ? " accumulate" : "") });
        row.appendChild(el("td", { class: "num" }, String(step.step)));
        row.appendChild(el("td", { class: "update" }, step.update));
        row.appendChild(el("td", { class: "num contribution" + (done ? "" : " pending") },
          done ? minus(step.contribution.text) : "·"));
        row.appendChild(el("td", { class: "num adjoint" + (done ? "" : " pending") },
          done ? `${bar(step.to)} = ${minus(step.adjoint.text)}` : "·"));
        second.appendChild(row);
      });
      if (backwardDone() && state.backward > 0) {
        for (const input of m.inputs) {
          const row = el("tr", { class: "gradient-row", "data-gradient": input.name });
          row.appendChild(el("td", {}, ""));
          row.appendChild(el("td", {}, `∂f/∂${input.name} = ${bar(input.id)}`));
          row.appendChild(el("td", {}, ""));
          row.appendChild(el("td", { class: "num" }, minus(m.gradient[input.name].text)));
          second.appendChild(row);
        }
      }
    } else {
      $("second-title").textContent = `Forward mode: tangents v̇ = ∂v/∂${state.seed}`;
      ["i", "tangent rule", "v̇"].forEach((h) => head2.appendChild(el("th", {}, h)));
      second.appendChild(head2);
      const block = m.tangents[state.seed];
      block.rows.forEach((r, k) => {
        const done = k < state.forward;
        const row = el("tr", { "data-id": r.id, class: (done ? "done" : "") + (r.id === currentForward ? " current" : "") });
        row.appendChild(el("td", {}, r.id));
        row.appendChild(el("td", {}, `${dot(r.id)} = ${r.rule === "seed" ? (r.id === seedId() ? "1 (seed)" : "0 (seed)") : r.rule}`));
        row.appendChild(el("td", { class: "num tangent" + (done ? "" : " pending") }, done ? minus(r.text) : "·"));
        second.appendChild(row);
      });
      const row = el("tr", { class: forwardDone() ? "gradient-row" : "" });
      row.appendChild(el("td", {}, m.output.id));
      row.appendChild(el("td", {}, `∂f/∂${state.seed} = ${dot(m.output.of)}`));
      row.appendChild(el("td", { class: "num" }, forwardDone() ? minus(block.derivative.text) : "·"));
      second.appendChild(row);
    }
  }

  function seedId() {
    const input = state.model.inputs.find((i) => i.name === state.seed);
    return input ? input.id : null;
  }

  // -- status line and buttons --------------------------------------------------------------------------
  function drawStatus() {
    const m = state.model, status = $("status");
    status.replaceChildren();
    const add = (cls, text) => status.appendChild(el("span", { class: cls }, text));
    const total = counts();
    if (state.backward > 0) {
      const step = m.backward[state.backward - 1];
      add("what", `Backward ${state.backward}/${total.backward}:`);
      add("", step.update + "   ");
      add("adjoint", step.step === 0 ? `seed ${bar(step.to)} = 1` :
        `contribution ${minus(step.contribution.text)} → ${bar(step.to)} = ${minus(step.adjoint.text)}`);
      if (backwardDone()) {
        add("what", "   gradient:");
        add("gradient", m.inputs.map((i) => `∂f/∂${i.name} = ${minus(m.gradient[i.name].text)}`).join(",  "));
      }
    } else if (state.forward > 0) {
      const id = m.forward_order[state.forward - 1];
      const node = m.nodes.find((n) => n.id === id);
      add("what", `Forward ${state.forward}/${total.forward}:`);
      add("", `${id} = ${node.expression} = `);
      add("value", minus(node.text));
      if (state.mode === "forward") {
        const t = tangentRows()[id];
        if (t) { add("", "   "); add("tangent", `${dot(id)} = ${minus(t.text)}`); }
      }
      if (forwardDone()) {
        add("what", "   output:");
        add("value", `f = ${minus(m.output.text)}`);
        if (state.mode === "forward") add("gradient", `   ∂f/∂${state.seed} = ${minus(m.tangents[state.seed].derivative.text)}`);
      }
    } else {
      add("what", state.mode === "reverse"
        ? "Press Forward to evaluate the list, then Backward for the adjoints."
        : `Press Forward: each node carries its value and its tangent v̇ = ∂v/∂${state.seed}.`);
    }
    const reverse = state.mode === "reverse";
    $("btn-forward").disabled = forwardDone() || state.backward > 0;
    $("btn-backward").disabled = !reverse || !forwardDone() || backwardDone();
    $("btn-run").disabled = reverse ? backwardDone() : forwardDone();
    $("btn-reset").disabled = state.forward === 0 && state.backward === 0;
  }

  function draw() {
    if (!state.model) return;
    drawGraph();
    drawTables();
    drawStatus();
    const current = document.querySelector("#tables tr.current");
    if (current) current.scrollIntoView({ block: "nearest" });
  }

  // -- inputs ------------------------------------------------------------------------------------------
  function buildSliders() {
    const box = $("sliders");
    box.replaceChildren();
    for (const input of state.model.inputs) {
      const [lo, hi] = state.ranges[input.name];
      const value = typeof input.value === "number" ? input.value : state.at[input.name];
      const wrap = el("label", { class: "slider" });
      wrap.appendChild(el("span", { class: "name" }, input.name));
      const range = el("input", { type: "range", min: lo, max: hi, step: ((hi - lo) / 200).toPrecision(3),
        "data-var": input.name, "aria-label": input.name });
      const number = el("input", { type: "number", step: "any", "data-var": input.name, "aria-label": input.name + " value" });
      range.value = value;
      number.value = value;
      if (isStatic) { range.disabled = true; number.disabled = true; }
      range.addEventListener("input", () => { number.value = range.value; changed(input.name, Number(range.value)); });
      number.addEventListener("change", () => {
        const v = Number(number.value);
        if (!Number.isFinite(v)) { showError(`${input.name}: ${number.value} is not a number`); return; }
        range.value = v;
        changed(input.name, v);
      });
      wrap.appendChild(range);
      wrap.appendChild(number);
      box.appendChild(wrap);
    }
    const select = $("tangent-input");
    select.replaceChildren();
    for (const input of state.model.inputs) select.appendChild(el("option", { value: input.name }, input.name));
    if (!state.model.inputs.some((i) => i.name === state.seed)) state.seed = state.model.inputs[0].name;
    select.value = state.seed;
  }

  function changed(name, value) {
    state.at[name] = value;
    document.body.dataset.busy = "1"; // a request is coming: the page's numbers are about to change
    clearTimeout(state.timer);
    state.timer = setTimeout(() => ask(state.expr, state.at, false), 90);
  }

  function defaultRanges(model, given) {
    const ranges = {};
    for (const input of model.inputs) {
      if (given && given[input.name]) { ranges[input.name] = given[input.name]; continue; }
      const v = typeof input.value === "number" ? input.value : 0;
      const span = Math.max(2, Math.abs(v));
      ranges[input.name] = [v - span, v + span];
    }
    return ranges;
  }

  // -- the server ----------------------------------------------------------------------------------------
  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  function finish() {
    state.version += 1;
    document.body.dataset.version = String(state.version);
    document.body.dataset.busy = "0";
  }

  async function ask(expr, at, fresh, ranges) {
    const id = ++state.request;
    document.body.dataset.busy = "1";
    let answer;
    try {
      const response = await fetch("/api/trace", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ expr, at }) });
      answer = await response.json();
    } catch (error) {
      answer = { error: `the server did not answer (${error.message}); is wengert explore still running?` };
    }
    if (id !== state.request) return; // a later request is on its way
    if (answer.error) {
      showError(answer.error);
      $("graph-panel").style.opacity = "0.35";
      finish();
      return;
    }
    showError("");
    $("graph-panel").style.opacity = "1";
    accept(answer, fresh, ranges);
    finish();
  }

  function accept(model, fresh, ranges) {
    const sameShape = state.model && !fresh &&
      JSON.stringify(state.model.forward_order) === JSON.stringify(model.forward_order) &&
      state.model.backward.length === model.backward.length;
    state.model = model;
    state.expr = model.expression;
    $("expr").value = model.expression;
    if (!sameShape) {
      state.forward = 0;
      state.backward = 0;
      state.at = Object.fromEntries(model.inputs.map((i) => [i.name, i.value]));
      state.ranges = defaultRanges(model, ranges);
      buildSliders();
    }
    const notes = $("notes");
    notes.textContent = (model.notes || []).join("  ");
    notes.hidden = !(model.notes && model.notes.length);
    draw();
  }

  function choosePreset(index) {
    const preset = config.presets[index];
    $("preset").value = String(index);
    ask(preset.expr, preset.at, true, preset.ranges);
  }

  // -- stepping ------------------------------------------------------------------------------------------
  function stepForward() { if (!forwardDone() && state.backward === 0) { state.forward += 1; draw(); } }
  function stepBackward() {
    if (state.mode === "reverse" && forwardDone() && !backwardDone()) { state.backward += 1; draw(); }
  }
  function runAll() {
    state.forward = counts().forward;
    if (state.mode === "reverse") state.backward = counts().backward;
    draw();
  }
  function reset() { state.forward = 0; state.backward = 0; draw(); }

  function wire() {
    $("btn-forward").addEventListener("click", stepForward);
    $("btn-backward").addEventListener("click", stepBackward);
    $("btn-run").addEventListener("click", runAll);
    $("btn-reset").addEventListener("click", reset);
    $("forward-mode").addEventListener("change", (e) => {
      state.mode = e.target.checked ? "forward" : "reverse";
      state.backward = 0;
      draw();
    });
    $("tangent-input").addEventListener("change", (e) => { state.seed = e.target.value; draw(); });
    document.addEventListener("keydown", (e) => {
      if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName) || e.ctrlKey || e.metaKey) return;
      const key = e.key.toLowerCase();
      if (key === "f") stepForward();
      else if (key === "b") stepBackward();
      else if (key === "r") reset();
    });
    if (isStatic) return;
    const select = $("preset");
    config.presets.forEach((p, k) => select.appendChild(el("option", { value: String(k) }, p.name)));
    select.appendChild(el("option", { value: "custom" }, "your own expression…"));
    select.addEventListener("change", () => {
      if (select.value === "custom") { $("expr").focus(); return; }
      choosePreset(Number(select.value));
    });
    const apply = () => { select.value = "custom"; ask($("expr").value, {}, true); };
    $("btn-apply").addEventListener("click", apply);
    $("expr").addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
  }

  function start() {
    wire();
    if (isStatic) {
      $("preset").hidden = true;
      $("btn-apply").hidden = true;
      $("expr").readOnly = true;
      $("static-note").hidden = false;
      state.ranges = {};
      accept(config.model, true);
      finish();
      return;
    }
    const begin = config.start || { preset: 0 };
    if (begin.expr) { $("preset").value = "custom"; ask(begin.expr, begin.at || {}, true); }
    else choosePreset(begin.preset || 0);
  }

  start();
})();
