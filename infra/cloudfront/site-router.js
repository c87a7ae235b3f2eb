// CloudFront Function (runtime cloudfront-js-2.0) for the site's pages, on viewer request.
// CloudFront Functions have no module system: this file is the whole function, and
// infra/template.yaml embeds it verbatim (python infra/embed_function.py).

var LANGUAGES = ['en', 'de', 'pl'];
var DEFAULT_LANGUAGE = 'en';

// `/` → the visitor's language, `/dir` → `/dir/`, `/dir/` → `/dir/index.html`.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  // A Location of `//host/` or `/\host/` would send the visitor to another site.
  if (uri.indexOf('//') !== -1 || uri.indexOf('\\') !== -1) {
    return request;
  }
  if (uri === '/') {
    var language = preferredLanguage(headerValue(request.headers, 'accept-language'));
    // Not cached by CloudFront (a function's own response), but browsers must not keep it.
    return redirect(302, '/' + language + '/', request.querystring, {
      'cache-control': { value: 'private, no-cache' },
      vary: { value: 'Accept-Language' },
    });
  }
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
    return request;
  }
  if (lastSegment(uri).indexOf('.') === -1) {
    return redirect(301, uri + '/', request.querystring, {});
  }
  return request;
}

// The first supported language by quality (RFC 9110 §12.5.4); ties keep the header's order.
function preferredLanguage(header) {
  var best = null;
  var bestQuality = 0;
  var ranges = header ? header.split(',') : [];
  for (var i = 0; i < ranges.length; i++) {
    var parts = ranges[i].split(';');
    var language = parts[0].trim().toLowerCase().split('-')[0];
    var quality = qualityOf(parts.slice(1));
    if (LANGUAGES.indexOf(language) !== -1 && quality > bestQuality) {
      best = language;
      bestQuality = quality;
    }
  }
  return best || DEFAULT_LANGUAGE;
}

function qualityOf(parameters) {
  for (var i = 0; i < parameters.length; i++) {
    var pair = parameters[i].trim().toLowerCase().split('=');
    if (pair[0] === 'q') {
      var quality = parseFloat(pair[1]);
      return isNaN(quality) ? 0 : Math.min(Math.max(quality, 0), 1);
    }
  }
  return 1;
}

function lastSegment(uri) {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

function headerValue(headers, name) {
  return headers && headers[name] ? headers[name].value : '';
}

function redirect(statusCode, location, querystring, extraHeaders) {
  var query = queryString(querystring);
  var headers = { location: { value: query ? location + '?' + query : location } };
  var names = Object.keys(extraHeaders);
  for (var i = 0; i < names.length; i++) {
    headers[names[i]] = extraHeaders[names[i]];
  }
  return {
    statusCode: statusCode,
    statusDescription: statusCode === 301 ? 'Moved Permanently' : 'Found',
    headers: headers,
  };
}

// CloudFront hands over query values still percent-encoded, so they are joined as they are.
function queryString(querystring) {
  var pairs = [];
  var names = querystring ? Object.keys(querystring) : [];
  for (var i = 0; i < names.length; i++) {
    var entry = querystring[names[i]];
    var values = entry.multiValue ? entry.multiValue : [entry];
    for (var j = 0; j < values.length; j++) {
      pairs.push(values[j].value === '' ? names[i] : names[i] + '=' + values[j].value);
    }
  }
  return pairs.join('&');
}
