package schedparam_test

import (
	"fmt"
	"time"

	"github.com/ferrydata/ferry/schedparam"
)

func ExampleResolve() {
	cyc := time.Date(2025, 7, 27, 0, 5, 0, 0, time.FixedZone("CST", 8*3600))
	sql := "select * from ods_order where ds = '${yyyymmdd}' and hh = '$[hh24-1/24]'" +
		" and region = '${region}' and price <> '$5'"
	out, err := schedparam.Resolve(sql, cyc, map[string]string{"region": "cn-hangzhou"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out)

	_, err = schedparam.Resolve("where ds = ${foo}", cyc, nil)
	fmt.Println(err)
	// Output:
	// select * from ods_order where ds = '20250726' and hh = '23' and region = 'cn-hangzhou' and price <> '$5'
	// schedparam: position 11: unknown parameter "${foo}"
}

func ExampleResolver_Execute() {
	r := schedparam.NewResolver(map[string]string{"last_month": "${yyyymm-1}"})
	tmpl, err := schedparam.Parse("/warehouse/dt=$bizdate/month=$last_month")
	if err != nil {
		fmt.Println(err)
		return
	}
	cycles, err := schedparam.CycleTimesForDates("20250130", "20250201", schedparam.BackfillOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, cyc := range cycles {
		path, err := r.Execute(tmpl, cyc)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(cyc.Format("2006-01-02 15:04"), path)
	}
	// Output:
	// 2025-01-31 00:00 /warehouse/dt=20250130/month=202412
	// 2025-02-01 00:00 /warehouse/dt=20250131/month=202412
	// 2025-02-02 00:00 /warehouse/dt=20250201/month=202501
}
