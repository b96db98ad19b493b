/// Small specs that exercise one feature of the generator each.
enum SpecFixtures {
    /// A spec with one schema and one list + one create operation, in the project's conventions.
    /// The fixture as the conventions want it: every operation states credentials and permission.
    /// `defaultResponse`, when given, is the schema of a `default` response of listWidgets (with a
    /// named example if `defaultExample`).
    static func widgets(extraWidgetProperty: String = "", defaultResponse: String? = nil, defaultExample: Bool = false) -> String {
        var yaml = widgetsWithoutDeletePermission(extraWidgetProperty: extraWidgetProperty)
            .replacingOccurrences(of: "      x-hot-credentials: [api_key]\n      parameters:",
                                  with: "      x-hot-credentials: [api_key]\n      x-hot-permission: none\n      parameters:")
        if let defaultResponse {
            let lines = [
                "        default:",
                "          description: Any other error.",
                "          content:",
                "            application/json:",
                "              schema: \(defaultResponse)",
            ] + (defaultExample ? ["              examples:", "                oops: {value: {error: {code: oops}}}"] : [])
            yaml = yaml.replacingOccurrences(of: "        '401':\n", with: (lines + ["        '401':", ""]).joined(separator: "\n"))
        }
        return yaml
    }

    /// deleteWidget says nothing of its permission (the generator must refuse this).
    static func widgetsWithoutDeletePermission(extraWidgetProperty: String = "") -> String {
        """
        openapi: 3.1.0
        info: {title: Widgets, version: 2.0.0}
        paths:
          /v1/widgets:
            get:
              operationId: listWidgets
              summary: List widgets
              x-hot-credentials: [api_key, session]
              x-hot-permission: {resource: "widget:*", action: read, mode: filter}
              parameters:
                - name: limit
                  in: query
                  schema: {type: integer, minimum: 1}
                  example: 20
              responses:
                '200':
                  description: The widgets.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/WidgetListResponse'}
                '401':
                  description: No credential.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/ErrorEnvelope'}
            post:
              operationId: createWidget
              summary: Create a widget
              x-hot-credentials: [api_key]
              x-hot-permission: {resource: "widget:{body.name}", action: create}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/CreateWidgetRequest'}
                    examples:
                      blue: {value: {name: blue}}
              responses:
                '201':
                  description: Created.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/WidgetResponse'}
                      examples:
                        blue:
                          value:
                            data: {widget_id: 550e8400-e29b-41d4-a716-446655440000, name: blue, stop_time: null}
                            meta: {request_id: 123e4567-e89b-12d3-a456-426614174000, timestamp: '2024-01-15T10:30:00Z'}
          /v1/widgets/{widget_id}:
            delete:
              operationId: deleteWidget
              x-hot-credentials: [api_key]
              parameters:
                - name: widget_id
                  in: path
                  required: true
                  schema: {type: string, format: uuid}
              responses:
                '204': {description: Deleted.}
        components:
          schemas:
            Meta:
              type: object
              required: [request_id, timestamp]
              properties:
                request_id: {type: string, format: uuid}
                timestamp: {type: string, format: date-time}
            Pagination:
              type: object
              required: [total, limit, offset, has_more]
              properties:
                total: {type: integer}
                limit: {type: integer}
                offset: {type: integer}
                has_more: {type: boolean}
            ErrorEnvelope:
              type: object
              required: [error]
              properties:
                error: {type: object, required: [code], properties: {code: {type: string}}}
            Color:
              type: string
              enum: [red, dark-blue]
            Widget:
              type: object
              description: A thing with a name.
              required: [widget_id, name, stop_time]
              properties:
                widget_id: {type: string, format: uuid, description: The widget's id.}
                name: {type: string, minLength: 1, maxLength: 10, pattern: '^[a-z]+$'}
                stop_time: {type: [string, "null"], format: date-time}
                var: {type: string}
                tags: {type: array, items: {type: string, format: uuid}}
                result: {description: Any JSON.}
                color: {$ref: '#/components/schemas/Color'}
        \(extraWidgetProperty)
            CreateWidgetRequest:
              type: object
              required: [name]
              additionalProperties: false
              properties:
                name: {type: string, minLength: 1}
            WidgetResponse:
              type: object
              required: [data, meta]
              properties:
                data: {$ref: '#/components/schemas/Widget'}
                meta: {$ref: '#/components/schemas/Meta'}
            WidgetListResponse:
              type: object
              required: [data, pagination, meta]
              properties:
                data: {type: array, items: {$ref: '#/components/schemas/Widget'}}
                pagination: {$ref: '#/components/schemas/Pagination'}
                meta: {$ref: '#/components/schemas/Meta'}
        """
    }
}
