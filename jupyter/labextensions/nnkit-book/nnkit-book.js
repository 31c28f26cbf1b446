/*
 * nnkit-book: reading "How Neural Networks Learn" in JupyterLab (`make lab`) as on its site.
 *
 * 1. Glued numbers. Every number in the book's prose comes from code: a code cell calls
 *    `myst_nb.glue(key, value)`, which stores the value's text/plain form as an output (mime type
 *    application/papermill.record/text/plain, named in the output's metadata.scrapbook.name), and
 *    the prose says {glue:text}`key:.3f`; Jupyter Book pastes the value when it builds the site.
 *    jupyterlab-myst renders MyST in JupyterLab but knows no glue role: it shows the role's
 *    content, `key:.3f`, as a bare <span>. This plugin finds those spans in each rendered Markdown
 *    cell, for the roles that the cell's source holds, and replaces their text with the value,
 *    formatted as myst-nb formats it (Python's format mini-language, rounding half to even on the
 *    exact binary value). It reads the values from the notebook's own outputs whenever they
 *    change, so a chapter re-run in JupyterLab shows its new numbers. It never changes the
 *    notebook: a glued number is text on the page, not in the cell.
 * 2. Explorables. nnkit.widgets links an explorable's controls to its frames in the browser, so a
 *    stored explorable works with no kernel behind it; ipywidgets still marks every widget that no
 *    kernel knows with a red "disconnected" icon. This plugin drops that mark in notebook outputs.
 *
 * Plain JavaScript with no build step: this file is the module-federation container that
 * JupyterLab loads for a prebuilt extension (window._JUPYTERLAB[name].init / .get). It shares and
 * needs no module, and uses only `app.docRegistry`. Loaded by `make lab` through
 * jupyter/jupyter_config.py; tested by tests/test_lab.py.
 */
(function () {
  'use strict';

  const NAME = 'nnkit-book';
  const RECORD = 'application/papermill.record/';
  // myst-nb's inline roles that paste a value's text: {glue}, {glue:any} and {glue:text}.
  const ROLE = /\{glue(?::text|:any)?\}`([^`]+)`/g;

  // --- Python's literal_eval and format(), for the values that glue stores -------------------

  class FormatError extends Error {}

  /** The value of a text/plain repr, as ast.literal_eval reads it (or the text itself). */
  function literalEval(text) {
    const t = text.trim();
    if (/^[-+]?\d+$/.test(t)) return { kind: 'int', value: BigInt(t) };
    if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(t)) return { kind: 'float', value: Number(t) };
    if (t === 'True' || t === 'False') return { kind: 'int', value: t === 'True' ? 1n : 0n, text: t };
    const quoted = /^(['"])(.*)\1$/s.exec(t);
    if (quoted) {
      const escapes = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
      return { kind: 'str', value: quoted[2].replace(/\\(.)/g, (m, c) => escapes[c] ?? m) };
    }
    return { kind: 'str', value: text };
  }

  /** float(x) for a string, as Python parses it. */
  function parseFloatPy(text) {
    const t = text.trim().toLowerCase().replace(/_/g, '');
    const special = { inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity,
      '-infinity': -Infinity, nan: NaN, '+nan': NaN, '-nan': NaN };
    if (t in special) return special[t];
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(t)) return Number(t);
    throw new FormatError(`could not convert string to float: '${text}'`);
  }

  /** x >= 0 (finite) as [D, scale] with x = D / 10**scale exactly. */
  function exactDecimal(x) {
    if (x === 0) return [0n, 0];
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const high = view.getUint32(0);
    const biased = (high >>> 20) & 0x7ff;
    let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
    let exponent = -1074;
    if (biased !== 0) {
      mantissa |= 1n << 52n;
      exponent = biased - 1075;
    }
    if (exponent >= 0) return [mantissa << BigInt(exponent), 0];
    return [mantissa * 5n ** BigInt(-exponent), -exponent];
  }

  /** round(D / 10**scale * 10**places), half to even, as an integer. */
  function roundScaled(D, scale, places) {
    const shift = scale - places;
    if (shift <= 0) return D * 10n ** BigInt(-shift);
    const divisor = 10n ** BigInt(shift);
    let q = D / divisor;
    const twice = (D % divisor) * 2n;
    if (twice > divisor || (twice === divisor && q % 2n === 1n)) q += 1n;
    return q;
  }

  /** |x| in fixed point with `places` decimals. */
  function fixed(x, places, alt) {
    const [D, scale] = exactDecimal(Math.abs(x));
    const digits = roundScaled(D, scale, places).toString().padStart(places + 1, '0');
    if (places === 0) return alt ? digits + '.' : digits;
    return digits.slice(0, -places) + '.' + digits.slice(-places);
  }

  /** |x| rounded to `places` + 1 significant digits: [the digits, the decimal exponent]. */
  function significant(x, places) {
    const [D, scale] = exactDecimal(Math.abs(x));
    if (D === 0n) return ['0'.repeat(places + 1), 0];
    let exponent = D.toString().length - 1 - scale;
    let N = roundScaled(D, scale, places - exponent);
    if (N.toString().length > places + 1) {
      N /= 10n;
      exponent += 1;
    }
    return [N.toString(), exponent];
  }

  function scientific(x, places, alt, upper) {
    const [digits, exponent] = significant(x, places);
    const mantissa = digits[0] + (places > 0 || alt ? '.' : '') + digits.slice(1);
    const e = (exponent < 0 ? '-' : '+') + String(Math.abs(exponent)).padStart(2, '0');
    return mantissa + (upper ? 'E' : 'e') + e;
  }

  function stripZeros(body) {
    const [mantissa, exponent] = body.split(/(?=[eE])/);
    const stripped = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    return stripped + (exponent ?? '');
  }

  /** |x| with 'g', or with no type but a precision (`noType`): Python's choice of notation. */
  function general(x, precision, alt, upper, noType) {
    const p = precision === 0 ? 1 : precision;
    const [, exponent] = significant(x, p - 1);
    let body;
    if (exponent >= -4 && exponent < (noType ? p - 1 : p)) {
      body = fixed(x, p - 1 - exponent, alt);
    } else {
      body = scientific(x, p - 1, alt, upper);
    }
    if (!alt) body = stripZeros(body);
    if (noType && /^\d+$/.test(body)) body += '.0';
    return body;
  }

  /** repr(x) of a float: the shortest digits that read back as x. */
  function floatRepr(x) {
    if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
    const [mantissa, exp] = Math.abs(x).toExponential().split('e');
    const digits = mantissa.replace('.', '');
    const exponent = Number(exp);
    let body;
    if (exponent >= -4 && exponent < 16) {
      if (exponent < 0) body = '0.' + '0'.repeat(-exponent - 1) + digits;
      else if (digits.length > exponent + 1) body = digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1);
      else body = digits + '0'.repeat(exponent + 1 - digits.length) + '.0';
    } else {
      body = digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '') + 'e' + (exponent < 0 ? '-' : '+') +
        String(Math.abs(exponent)).padStart(2, '0');
    }
    return (x < 0 || Object.is(x, -0) ? '-' : '') + body;
  }

  const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

  function parseSpec(spec) {
    const m = SPEC.exec(spec);
    if (!m) throw new FormatError(`Invalid format specifier '${spec}'`);
    const [, fill, align, sign, z, alt, zero, width, grouping, precision, type] = m;
    return {
      fill: fill ?? (zero && !align ? '0' : ' '), align: align ?? (zero ? '=' : undefined), sign: sign ?? '-',
      z: Boolean(z), alt: Boolean(alt), width: width ? Number(width) : 0, grouping,
      precision: precision === undefined ? undefined : Number(precision), type: type ?? '',
    };
  }

  function group(body, separator, every) {
    if (!separator) return body;
    const m = /^([0-9a-fA-F]*)(.*)$/s.exec(body);
    const head = m[1].replace(new RegExp(`\\B(?=([0-9a-fA-F]{${every}})+$)`, 'g'), separator);
    return head + m[2];
  }

  function pad(sign, body, s, defaultAlign) {
    const length = sign.length + body.length;
    if (s.width <= length) return sign + body;
    const n = s.width - length;
    switch (s.align ?? defaultAlign) {
      case '<': return sign + body + s.fill.repeat(n);
      case '^': return s.fill.repeat(Math.floor(n / 2)) + sign + body + s.fill.repeat(n - Math.floor(n / 2));
      case '=': return sign + s.fill.repeat(n) + body;
      default: return s.fill.repeat(n) + sign + body;
    }
  }

  function signOf(negative, s) {
    if (negative) return '-';
    return s.sign === '+' ? '+' : s.sign === ' ' ? ' ' : '';
  }

  function formatFloat(x, s) {
    const upper = s.type === s.type.toUpperCase() && s.type !== '%' && s.type !== '';
    if (s.type === '%') x *= 100; // in floating point, as CPython does
    let body;
    if (!Number.isFinite(x)) {
      body = Number.isNaN(x) ? 'nan' : 'inf';
      if (upper) body = body.toUpperCase();
      if (s.type === '%') body += '%';
    } else {
      switch (s.type) {
        case 'f': case 'F': body = fixed(x, s.precision ?? 6, s.alt); break;
        case 'e': case 'E': body = scientific(x, s.precision ?? 6, s.alt, upper); break;
        case 'g': case 'G': case 'n': body = general(x, s.precision ?? 6, s.alt, upper, false); break;
        case '%': body = fixed(x, s.precision ?? 6, s.alt) + '%'; break;
        case '':
          body = s.precision === undefined ? floatRepr(Math.abs(x)) : general(x, s.precision, s.alt, false, true);
          break;
        default: throw new FormatError(`Unknown format code '${s.type}' for object of type 'float'`);
      }
    }
    let negative = x < 0 || Object.is(x, -0);
    if (negative && s.z && !/[1-9]/.test(body.split(/[eE]/)[0])) negative = false;
    if (Number.isNaN(x)) negative = false;
    const [integer, rest] = /^(\d*)(.*)$/s.exec(body).slice(1);
    return pad(signOf(negative, s), group(integer, s.grouping, 3) + rest, s, '>');
  }

  function formatInt(n, s) {
    if (s.precision !== undefined && !'eEfFgGn%'.includes(s.type || 'd')) {
      throw new FormatError('Precision not allowed in integer format specifier');
    }
    const negative = n < 0n;
    const magnitude = negative ? -n : n;
    let body;
    switch (s.type) {
      case 'd': case 'n': case '': body = group(magnitude.toString(), s.grouping, 3); break;
      case 'b': body = (s.alt ? '0b' : '') + group(magnitude.toString(2), s.grouping, 4); break;
      case 'o': body = (s.alt ? '0o' : '') + group(magnitude.toString(8), s.grouping, 4); break;
      case 'x': body = (s.alt ? '0x' : '') + group(magnitude.toString(16), s.grouping, 4); break;
      case 'X': body = (s.alt ? '0X' : '') + group(magnitude.toString(16).toUpperCase(), s.grouping, 4); break;
      case 'c': body = String.fromCodePoint(Number(n)); break;
      default: return formatFloat(Number(n), s);
    }
    return pad(signOf(negative, s), body, s, '>');
  }

  function formatStr(text, s) {
    if (s.type !== '' && s.type !== 's') throw new FormatError(`Unknown format code '${s.type}' for object of type 'str'`);
    const body = s.precision === undefined ? text : Array.from(text).slice(0, s.precision).join('');
    return pad('', body, s, '<');
  }

  /** myst_nb.core.variables.format_plain_text: the text of a glued value, formatted with `spec`. */
  function formatPlainText(text, spec) {
    const value = literalEval(text);
    const str = () => (value.kind === 'float' ? floatRepr(value.value) : value.kind === 'int' ? value.text ?? value.value.toString() : value.value);
    if (spec === '') return str();
    const s = parseSpec(spec);
    const type = spec[spec.length - 1];
    if (type === 's') return formatStr(str(), s);
    if ('bcdoxX'.includes(type)) {
      let n;
      if (value.kind === 'int') n = value.value;
      else if (value.kind === 'float') {
        if (!Number.isFinite(value.value)) throw new FormatError('cannot convert float to integer');
        n = BigInt(Math.trunc(value.value));
      } else if (/^\s*[-+]?\d+\s*$/.test(value.value)) n = BigInt(value.value.trim());
      else throw new FormatError(`invalid literal for int(): '${value.value}'`);
      return formatInt(n, s);
    }
    if ('eEfFgGn%'.includes(type)) {
      const x = value.kind === 'str' ? parseFloatPy(value.value) : Number(value.value);
      return formatFloat(x, s);
    }
    // No type character: format(value, spec) with the value as it is.
    if (value.kind === 'float') return formatFloat(value.value, s);
    if (value.kind === 'int') return formatInt(value.value, s);
    return formatStr(value.value, s);
  }

  // --- the notebook: values from the outputs, roles in the rendered Markdown -----------------

  /** The glued values of a notebook model: key -> the text/plain repr (the last glue wins). */
  function gluedValues(model) {
    const values = new Map();
    const cells = model.cells;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.type !== 'code') continue;
      for (let j = 0; j < cell.outputs.length; j++) {
        const output = cell.outputs.get(j);
        const record = output.metadata && output.metadata.scrapbook;
        if (!record || !record.name) continue;
        const data = output.data[(record.mime_prefix || RECORD) + 'text/plain'];
        if (data !== undefined) values.set(record.name, Array.isArray(data) ? data.join('') : String(data));
      }
    }
    return values;
  }

  /** Keeps the glued numbers of one notebook panel shown. */
  class GluePaster {
    constructor(panel, context) {
      this.notebook = panel.content;
      this.context = context;
      this.shown = new WeakMap(); // text node -> {body: the role's content, text: what it shows}
      this.scheduled = false;
      this.observer = new MutationObserver(() => this.schedule());
      context.ready.then(() => {
        if (panel.isDisposed) return;
        context.model.contentChanged.connect(this.schedule, this);
        this.observer.observe(this.notebook.node, { childList: true, subtree: true, characterData: true });
        this.schedule();
      });
      panel.disposed.connect(() => this.observer.disconnect());
    }

    schedule() {
      if (this.scheduled) return;
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        if (!this.notebook.isDisposed && this.notebook.model) this.paste();
      });
    }

    paste() {
      let values = null;
      for (const cell of this.notebook.widgets) {
        if (cell.model.type !== 'markdown' || !cell.node.isConnected) continue;
        const roles = new Set(Array.from(cell.model.sharedModel.getSource().matchAll(ROLE), m => m[1]));
        if (roles.size === 0) continue;
        values = values ?? gluedValues(this.notebook.model);
        for (const span of cell.node.querySelectorAll('span:not([class])')) {
          const node = span.firstChild;
          if (span.childNodes.length !== 1 || node.nodeType !== Node.TEXT_NODE || span.closest('.cm-editor')) continue;
          const seen = this.shown.get(node);
          const body = seen && node.nodeValue === seen.text ? seen.body : node.nodeValue;
          if (!roles.has(body)) continue;
          const text = this.valueOf(body, values) ?? body;
          if (node.nodeValue !== text) node.nodeValue = text;
          this.shown.set(node, { body, text });
        }
      }
    }

    /** What myst-nb pastes for a role's content `key` or `key:spec`; null if it cannot. */
    valueOf(body, values) {
      const colon = body.lastIndexOf(':');
      const [key, spec] = colon < 0 ? [body, 's'] : [body.slice(0, colon), body.slice(colon + 1)];
      if (!values.has(key)) return null;
      try {
        return formatPlainText(values.get(key), spec);
      } catch (error) {
        console.warn(`${NAME}: cannot format ${key} with '${spec}': ${error.message}`);
        return null;
      }
    }
  }

  const gluePlugin = {
    id: `${NAME}:glue`,
    description: "Shows the values stored by myst-nb's glue where the prose's {glue:text} roles stand.",
    autoStart: true,
    activate: app => {
      app.docRegistry.addWidgetExtension('Notebook', {
        createNew: (panel, context) => {
          new GluePaster(panel, context);
        },
      });
    },
  };

  const explorablesPlugin = {
    id: `${NAME}:explorables`,
    description: 'Drops the "disconnected" mark of stored widgets, which work without a kernel.',
    autoStart: true,
    activate: () => {
      const style = document.createElement('style');
      style.dataset.source = NAME;
      style.textContent = '.jp-OutputArea-output .jupyter-widgets-disconnected::before { content: none; }';
      document.head.appendChild(style);
    },
  };

  const modules = {
    './extension': { __esModule: true, default: [gluePlugin, explorablesPlugin] },
    './format': { __esModule: true, formatPlainText, FormatError },
  };
  const containers = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  containers[NAME] = {
    init: () => Promise.resolve(),
    get: module =>
      module in modules
        ? Promise.resolve(() => modules[module])
        : Promise.reject(new Error(`${NAME} has no module ${module}`)),
  };
})();
